package domain

// Op is a filter operator of the protocol's querystring ("lt_price=10").
type Op string

// The filter operators of the protocol.
const (
	OpEq          Op = "eq"           // field == value, type-exact
	OpNot         Op = "not"          // field != value; a missing field matches
	OpLt          Op = "lt"           // field < value; a missing field never matches
	OpMax         Op = "max"          // field <= value
	OpGt          Op = "gt"           // field > value; a missing field matches (it sorts above all)
	OpMin         Op = "min"          // field >= value
	OpIn          Op = "in"           // field is one of the values ([]any)
	OpExclude     Op = "exclude"      // field is none of the values ([]any); missing matches
	OpLike        Op = "like"         // case-insensitive pattern, '*' wildcard, substring without '*'
	OpHas         Op = "has"          // field present (Value true) or absent (false)
	OpContains    Op = "contains"     // field is an array holding the value (each element of an array value)
	OpContainsAny Op = "contains_any" // field is an array holding at least one of the values
)

// Filter is one condition on a field, reached by a dotted path. Filters of a
// query are ANDed. Values are decoded JSON (json.Number for numbers).
type Filter struct {
	Field string
	Op    Op
	Value any
}

// Sort orders by one field; several Sorts order lexicographically.
type Sort struct {
	Field string
	Desc  bool
}

// SortValue is the value of one sort field in the last object of a page, or
// Missing when that object lacks the field. A page cursor is one SortValue
// per Sort.
type SortValue struct {
	Value   any
	Missing bool
}

// Query selects, orders and pages the objects of one list.
type Query struct {
	Filters []Filter
	// Sort is the complete order; the engine always ends it with
	// last_modified so that the order is total.
	Sort []Sort
	// Limit caps the number of objects returned; 0 means no limit.
	Limit int
	// After, when set, holds one value per Sort entry: only objects strictly
	// after that position in the order are returned (keyset pagination).
	After []SortValue
	// WithDeleted includes tombstones (filtered like live objects).
	WithDeleted bool
}

// Caps on one list query, for every backend: each filter and sort field
// costs the database work and statement size (on PostgreSQL several
// parameters and ORDER BY terms each), so a request may not ask for an
// unbounded number. They are far above what a client needs; the http
// adapter refuses a querystring past them with a 400 naming the parameter.
const (
	// MaxFilters caps the filters of a query (the querystring's
	// _since/_before/_to included).
	MaxFilters = 64
	// MaxSortFields caps the fields of a query's Sort, the tie-breaking
	// last_modified aside (_sort's fields).
	MaxSortFields = 32
)
