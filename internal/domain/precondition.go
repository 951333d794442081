package domain

// ETagCondition is one parsed If-Match or If-None-Match header.
type ETagCondition struct {
	Set bool  // the header was sent
	Any bool  // the value was *
	TS  int64 // the quoted timestamp otherwise
	// Beyond is set when the quoted integer exceeds int64: Kinto accepts
	// it, and it equals no timestamp (TS is then meaningless).
	Beyond bool
}

// matches reports whether the condition names exactly timestamp ts.
func (c ETagCondition) matches(ts int64) bool {
	return c.Set && !c.Any && !c.Beyond && c.TS == ts
}

// Preconditions holds a request's conditional headers.
type Preconditions struct {
	IfMatch     ETagCondition
	IfNoneMatch ETagCondition
}

// CheckPreconditions applies the protocol's precondition table. exists says
// whether the target exists (a live object, or always for a list); current
// is its timestamp (the object's, or the list's); read is true for GET and
// HEAD. It returns notModified for a GET/HEAD whose If-None-Match equals
// current, or a PreconditionFailed error, or neither.
func CheckPreconditions(p Preconditions, exists bool, current int64, read bool) (notModified bool, err error) {
	if read && p.IfNoneMatch.matches(current) {
		return true, nil
	}
	switch {
	case p.IfNoneMatch.Set && p.IfNoneMatch.Any && exists,
		p.IfMatch.Set && !exists,
		p.IfMatch.Set && !p.IfMatch.Any && !p.IfMatch.matches(current):
		// Built only on failure: every read and write checks.
		return false, &Error{Kind: PreconditionFailed, Message: "Resource was modified meanwhile"}
	}
	return false, nil
}
