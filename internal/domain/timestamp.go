package domain

// NextTimestamp is the protocol's timestamp rule: a write into a list whose
// current timestamp is current, at clock time now (epoch milliseconds), is
// stamped max(now, current+1). Timestamps are revision numbers: unique and
// strictly increasing per list, even when the clock goes backwards.
func NextTimestamp(current, now int64) int64 {
	if now > current {
		return now
	}
	return current + 1
}

// StampWrite applies the protocol's rule for a client-proposed last_modified
// (zero when none) on a write into a list whose timestamp is current, for an
// object whose previous timestamp is previous (zero for a creation). It
// returns the object's new timestamp and the list's new timestamp.
//
// A proposal not above the object's previous timestamp is ignored. A proposal
// equal to the list timestamp gets current+1; above it, the proposal becomes
// both; below it (importing old data), the object keeps the proposal and the
// list timestamp does not move.
func StampWrite(current, previous, proposed, now int64) (object, list int64) {
	if proposed <= 0 || proposed <= previous {
		ts := NextTimestamp(current, now)
		return ts, ts
	}
	switch {
	case proposed == current:
		return current + 1, current + 1
	case proposed > current:
		return proposed, proposed
	default:
		return proposed, current
	}
}
