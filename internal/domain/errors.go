package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an Error. The set is small and closed; a kind never changes
// meaning, because the http adapter maps each one to a status and an errno.
type Kind uint8

const (
	// Internal is a bug or an unexpected failure: its cause is logged, never
	// shown to clients.
	Internal Kind = iota
	// Invalid is bad input; Field and Location name the offender.
	Invalid
	// NotFound is a missing object (errno 110).
	NotFound
	// MissingParent is a missing parent object, such as the collection of a
	// record (errno 111).
	MissingParent
	// Conflict is an integrity violation: a duplicate id, a unique field taken,
	// or a concurrent write that lost a race.
	Conflict
	// PreconditionFailed is an If-Match / If-None-Match mismatch.
	PreconditionFailed
	// Forbidden is an authenticated caller without the needed permission.
	Forbidden
	// Unauthenticated is an anonymous caller on an operation that needs rights.
	Unauthenticated
	// Unavailable is a backend that is down or read-only.
	Unavailable
	// MethodNotAllowed is a method the endpoint does not serve, or a write on a
	// read-only service.
	MethodNotAllowed
)

var kindNames = [...]string{
	Internal:           "Internal",
	Invalid:            "Invalid",
	NotFound:           "NotFound",
	MissingParent:      "MissingParent",
	Conflict:           "Conflict",
	PreconditionFailed: "PreconditionFailed",
	Forbidden:          "Forbidden",
	Unauthenticated:    "Unauthenticated",
	Unavailable:        "Unavailable",
	MethodNotAllowed:   "MethodNotAllowed",
}

// String returns the kind's name, as used in test failure messages.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Location says where an invalid value came from, as the protocol's error
// details name it.
type Location string

// The locations the protocol knows.
const (
	InBody        Location = "body"
	InQuerystring Location = "querystring"
	InHeader      Location = "header"
	InPath        Location = "path"
)

// Issue is one validation failure: the protocol lists them in an error's
// details as {location, name, description}.
type Issue struct {
	Location    Location
	Name        string // empty means the protocol's null
	Description string
}

// Error is the one error type that crosses layers.
type Error struct {
	Kind    Kind
	Op      string // where it happened, e.g. "memory.Storage.Get"
	Message string // safe for clients
	// Issues lists validation failures (Invalid); the first one gives the
	// message when Message is empty.
	Issues []Issue
	// Resource and ID name the missing object (NotFound, MissingParent).
	Resource string
	ID       string
	// Existing is the current object on a PreconditionFailed or Conflict,
	// shown to clients as details.existing.
	Existing *Record
	Err      error // cause, never shown to clients
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && len(e.Issues) > 0 {
		msg = e.Issues[0].Description
	}
	if msg == "" {
		msg = e.Kind.String()
	}
	s := msg
	if e.Op != "" {
		s = e.Op + ": " + msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap gives errors.Is and errors.As access to the cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	// AsType, not As: As's target pointer escapes, an allocation per call,
	// and every request asks the kind of the lookups' errors.
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return Internal
}

// AsError returns the first *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Errorf builds an Error of kind k with a client-safe message.
func Errorf(k Kind, op, format string, args ...any) *Error {
	return &Error{Kind: k, Op: op, Message: fmt.Sprintf(format, args...)}
}

// InvalidField builds an Invalid error about one named value.
func InvalidField(op string, loc Location, name, description string) *Error {
	return &Error{Kind: Invalid, Op: op, Issues: []Issue{{Location: loc, Name: name, Description: description}}}
}

// NotFoundError builds a NotFound error for the object id of resource.
func NotFoundError(op, resource, id string) *Error {
	return &Error{Kind: NotFound, Op: op, Resource: resource, ID: id}
}

// Wrap wraps cause as an Error of kind k, keeping cause for the logs.
func Wrap(k Kind, op string, cause error) *Error {
	return &Error{Kind: k, Op: op, Err: cause}
}
