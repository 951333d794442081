package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// The querystring grammar of list requests (PROTOCOL-core §7): which
// parameters there are, how their values are read, and how a bad one is
// worded for the client. What a parsed query means (matching, ordering,
// paging cursors) is the domain's.

// DefaultMaxFetchSize is the protocol's storage_max_fetch_size default: the
// most objects one page may hold (Config.MaxFetchSize 0).
const DefaultMaxFetchSize = 10000

// timestampSlack is how far in the future a last_modified filter value may
// be: Kinto refuses values from tomorrow on.
const timestampSlack = 24 * 3600 * 1000

// parseOp names the querystring parser in the errors it returns.
const parseOp = "http.ParseListQuery"

// ListQueryOptions carries what ParseListQuery needs to know about the
// resource and the settings.
type ListQueryOptions struct {
	// DefaultSort is the resource's order when _sort names no valid field;
	// nil means the protocol's -last_modified.
	DefaultSort []domain.Sort
	// PaginateBy is the paginate_by setting; 0 means unset.
	PaginateBy int
	// MaxFetchSize is storage_max_fetch_size; 0 means DefaultMaxFetchSize.
	MaxFetchSize int
	// Now is the current time in epoch milliseconds; last_modified filter
	// values must be below Now plus one day. 0 disables that upper bound.
	Now int64
}

// ListQuery is a list querystring turned into domain terms
// (PROTOCOL-core §7).
type ListQuery struct {
	// Filters are ANDed. _since/_before/_to become last_modified gt/lt
	// filters; _since=null (and _before/_to=null) becomes a last_modified
	// filter with an empty in list, which matches nothing, as on Postgres.
	Filters []domain.Filter
	// Sort is the complete order; it always contains last_modified
	// (appended as -last_modified when the request did not name it).
	Sort []domain.Sort
	// Limit is the page size of §7.4 (computeLimit); always at least 1.
	Limit int
	// After is the cursor the _token carries: the position of the last
	// object of the previous page; nil on a first page.
	After []domain.SortValue
	// Fields is the _fields projection (nil: whole objects); id and
	// last_modified are always kept by domain.Project.
	Fields []string
	// WithDeleted is set when a filter reads last_modified: tombstones are
	// then part of the answer (§7.6).
	WithDeleted bool
	// DeprecatedTo is set when _to was used; the response should carry the
	// deprecation Alert header.
	DeprecatedTo bool
}

// computeLimit is the page size rule of PROTOCOL-core §7.4: the requested
// _limit (given reports whether there was one; absent or 0 means none),
// else paginate_by, capped by paginate_by and by maxFetchSize (0:
// DefaultMaxFetchSize). As in Kinto, _limit=0 asks for the maximum.
func computeLimit(limit int64, given bool, paginateBy, maxFetchSize int) int {
	if maxFetchSize <= 0 {
		maxFetchSize = DefaultMaxFetchSize
	}
	n := int64(paginateBy)
	if given {
		n = limit
	}
	if n > 0 && paginateBy > 0 {
		n = min(n, int64(paginateBy))
	}
	if n <= 0 {
		return maxFetchSize
	}
	return int(min(n, int64(maxFetchSize)))
}

// filterOps lists the operator prefixes in the order Kinto's regular
// expression tries them, contains_any before contains.
var filterOps = [...]domain.Op{domain.OpLt, domain.OpMin, domain.OpMax, domain.OpNot, domain.OpEq, domain.OpGt, domain.OpIn, domain.OpExclude, domain.OpLike, domain.OpHas, domain.OpContainsAny, domain.OpContains}

// ParseListQuery turns the querystring of a list request into a ListQuery,
// following PROTOCOL-core §7.1–§7.7 and Kinto's messages. Every failure is
// an Invalid *domain.Error whose issues name the parameter in the querystring:
//
//   - _limit, _since, _before, _to, last_modified: `"abc" is not a number`,
//     `-1 is less than minimum value 0` (all such issues at once, sorted by
//     name, as Kinto's schema reports them);
//   - timestamps out of [0, now+1 day), and in_/exclude_/contains_ on
//     last_modified: `Invalid value for <param>`;
//   - like_ with a non-string value, in_id/exclude_id with non-strings:
//     `Invalid value for <param>`;
//   - a NUL character in a filter name or value: `Invalid character 0x00`;
//   - contains_/contains_any_ on id: `Field 'id' is not an array`;
//   - a bad _token: `_token has invalid content` (name null).
//
// Other parameters starting with "_" are ignored; every other parameter is a
// filter "[op_]field=value" whose value is JSON-decoded when possible
// (in_/exclude_ values are comma-split first, contains_ values become
// lists). id values compare as strings. When a parameter is repeated, the
// last value counts. Filters are checked in parameter name order.
func ParseListQuery(values url.Values, opts ListQueryOptions) (ListQuery, error) {
	params := make(map[string]string, len(values))
	for k, vs := range values {
		if len(vs) == 0 {
			continue
		}
		params[strings.TrimSpace(k)] = vs[len(vs)-1]
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)

	var req ListQuery

	// Schema phase: the typed reserved parameters, every issue reported.
	var issues []domain.Issue
	ints := map[string]int64{}
	for _, name := range []string{"_before", "_limit", "_since", "_to", "last_modified"} {
		raw, ok := params[name]
		if !ok {
			continue
		}
		n, given, issue := parseIntParam(name, raw)
		if issue != nil {
			issues = append(issues, *issue)
		} else if given {
			ints[name] = n
		}
	}
	if len(issues) > 0 {
		return req, &domain.Error{Kind: domain.Invalid, Op: parseOp, Issues: issues}
	}

	// Filter phase: the first failing parameter ends the parsing.
	filters := 0
	for _, name := range names {
		raw := params[name]
		if isFilterParam(name) {
			if filters++; filters > domain.MaxFilters {
				return req, domain.InvalidField(parseOp, domain.InQuerystring, name,
					fmt.Sprintf("Too many filters: at most %d filter parameters per request", domain.MaxFilters))
			}
		}
		switch name {
		case "_since", "_before", "_to":
			f, err := timeBoundFilter(name, raw, ints, opts.Now)
			if err != nil {
				return req, err
			}
			req.Filters = append(req.Filters, f)
			if name == "_to" {
				req.DeprecatedTo = true
			}
			continue
		}
		if strings.HasPrefix(name, "_") {
			continue
		}
		f, err := parseFilter(name, raw, ints, opts.Now)
		if err != nil {
			return req, err
		}
		req.Filters = append(req.Filters, f)
	}
	for _, f := range req.Filters {
		if f.Field == "last_modified" {
			req.WithDeleted = true
		}
	}

	limit, given := ints["_limit"]
	req.Limit = computeLimit(limit, given, opts.PaginateBy, opts.MaxFetchSize)

	sorts, err := parseSort(params["_sort"], opts.DefaultSort)
	if err != nil {
		return req, err
	}
	req.Sort = sorts

	if raw, ok := params["_fields"]; ok {
		req.Fields = splitFields(raw)
	}

	if raw, ok := params["_token"]; ok {
		tok := raw
		if s, ok := nativeValue(raw).(string); ok {
			tok = s
		}
		if tok != "" {
			t, err := decodePageToken(tok, req.Sort)
			if err != nil {
				return req, err
			}
			req.After = t.after
		}
	}
	return req, nil
}

// fieldsParam reads the _fields parameter of an object GET: the
// comma-separated field paths, empty entries dropped; nil when absent.
func fieldsParam(values url.Values) []string {
	vs := values["_fields"]
	if len(vs) == 0 {
		return nil
	}
	return splitFields(vs[len(vs)-1])
}

// splitFields reads a _fields value; nil when it names no field.
func splitFields(raw string) []string {
	var fields []string
	for _, f := range strings.Split(raw, ",") {
		if f != "" {
			fields = append(fields, f)
		}
	}
	return fields
}

// isFilterParam tells whether a querystring parameter is a filter.
func isFilterParam(name string) bool {
	switch name {
	case "_since", "_before", "_to":
		return true
	}
	return !strings.HasPrefix(name, "_")
}

// parseSort reads _sort: "a,-b,+c"; malformed entries are dropped, and
// -last_modified is appended unless last_modified is named.
func parseSort(raw string, defaultSort []domain.Sort) ([]domain.Sort, error) {
	var sorts []domain.Sort
	if raw != "" {
		for _, entry := range strings.Split(raw, ",") {
			entry = strings.TrimSpace(entry)
			desc := false
			if strings.HasPrefix(entry, "-") || strings.HasPrefix(entry, "+") {
				desc = entry[0] == '-'
				entry = entry[1:]
			}
			if !isFieldPath(entry) {
				continue
			}
			sorts = append(sorts, domain.Sort{Field: entry, Desc: desc})
			if len(sorts) > domain.MaxSortFields {
				return nil, domain.InvalidField(parseOp, domain.InQuerystring, "_sort",
					fmt.Sprintf("Too many sort fields: _sort takes at most %d", domain.MaxSortFields))
			}
		}
	}
	if len(sorts) == 0 {
		sorts = append(sorts, defaultSort...)
	}
	for _, s := range sorts {
		if s.Field == "last_modified" {
			return sorts, nil
		}
	}
	return append(sorts, domain.Sort{Field: "last_modified", Desc: true}), nil
}

// isFieldPath reports whether s matches [\w.]+ (Python's Unicode \w).
func isFieldPath(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '_' && r != '.' && !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			return false
		}
	}
	return true
}

// splitOp separates "op_field" into its operator and field, trying the
// operators in Kinto's order; anything else is an implicit eq on the whole
// name.
func splitOp(name string) (domain.Op, string) {
	for _, op := range filterOps {
		if rest, ok := strings.CutPrefix(name, string(op)+"_"); ok && isFieldPath(rest) {
			return op, rest
		}
	}
	return domain.OpEq, name
}

func invalidValue(name string) *domain.Error {
	return domain.InvalidField(parseOp, domain.InQuerystring, name, "Invalid value for "+name)
}

// timeBoundFilter turns _since, _before or _to into a last_modified filter.
func timeBoundFilter(name, raw string, ints map[string]int64, now int64) (domain.Filter, error) {
	op := domain.OpLt
	if name == "_since" {
		op = domain.OpGt
	}
	if nativeValue(raw) == nil {
		// Postgres compares with NULL: nothing matches.
		return domain.Filter{Field: "last_modified", Op: domain.OpIn, Value: []any{}}, nil
	}
	n, ok := ints[name]
	if !ok || !timestampInRange(n, now) {
		return domain.Filter{}, invalidValue(name)
	}
	return domain.Filter{Field: "last_modified", Op: op, Value: json.Number(strconv.FormatInt(n, 10))}, nil
}

func parseFilter(name, raw string, ints map[string]int64, now int64) (domain.Filter, error) {
	op, field := splitOp(name)

	// Values are decoded by the parameter's prefix, as Kinto's schema does,
	// even when the rest is not a valid field name.
	var value any
	switch {
	case strings.HasPrefix(name, "contains_"):
		value = listOf(nativeValue(raw))
	case strings.HasPrefix(name, "in_") || strings.HasPrefix(name, "exclude_"):
		list := []any{}
		for _, item := range strings.Split(raw, ",") {
			if item != "" {
				list = append(list, nativeValue(item))
			}
		}
		value = list
	case name == "id":
		// id is a string field: a non-string value keeps its raw text.
		if s, ok := nativeValue(raw).(string); ok {
			value = s
		} else {
			value = raw
		}
	default:
		value = nativeValue(raw)
	}

	if op == domain.OpLike {
		if _, ok := value.(string); !ok {
			return domain.Filter{}, invalidValue(name)
		}
	}
	if (op == domain.OpIn || op == domain.OpExclude) && field == "id" {
		for _, v := range value.([]any) {
			if _, ok := v.(string); !ok {
				return domain.Filter{}, invalidValue(name)
			}
		}
	}
	if strings.IndexByte(field, 0) >= 0 || hasNUL(value) {
		return domain.Filter{}, domain.InvalidField(parseOp, domain.InQuerystring, name, "Invalid character 0x00")
	}
	if field == "last_modified" {
		var n int64
		var ok bool
		if name == "last_modified" {
			n, ok = ints[name]
			ok = ok && timestampInRange(n, now)
		} else {
			n, ok = timestampValue(value, now)
		}
		if !ok {
			return domain.Filter{}, invalidValue(name)
		}
		value = json.Number(strconv.FormatInt(n, 10))
	}
	if field == "id" && (op == domain.OpContains || op == domain.OpContainsAny) {
		return domain.Filter{}, domain.InvalidField(parseOp, domain.InQuerystring, name, "Field 'id' is not an array")
	}
	if field == "id" && op != domain.OpHas && op != domain.OpIn && op != domain.OpExclude {
		// Ids are text: compare numbers and booleans by their text.
		switch value.(type) {
		case json.Number, bool:
			value = raw
		}
	}
	return domain.Filter{Field: field, Op: op, Value: value}, nil
}

// nativeValue decodes a querystring value as JSON when it is JSON (numbers
// as json.Number), and keeps it as a string otherwise.
func nativeValue(raw string) any {
	v, err := decodeJSONValue([]byte(raw))
	if err != nil {
		return raw
	}
	return v
}

// parseIntParam reads an integer parameter as Kinto's schema does: JSON
// decoded, floats truncated, booleans as 0/1; "", null, [] and {} count as
// not given. It returns the issue to report, if any.
func parseIntParam(name, raw string) (int64, bool, *domain.Issue) {
	v := nativeValue(raw)
	notNumber := func(shown string) (int64, bool, *domain.Issue) {
		return 0, false, &domain.Issue{Location: domain.InQuerystring, Name: name, Description: fmt.Sprintf("%q is not a number", shown)}
	}
	var n *big.Int
	switch t := v.(type) {
	case nil:
		return 0, false, nil
	case bool:
		n = big.NewInt(0)
		if t {
			n.SetInt64(1)
		}
	case string:
		s := strings.TrimSpace(t)
		if t == "" {
			return 0, false, nil
		}
		if !isSignedDigits(s) {
			return notNumber(t)
		}
		n, _ = new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
	case json.Number:
		if isSignedDigits(string(t)) {
			n, _ = new(big.Int).SetString(string(t), 10)
			break
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || math.IsInf(f, 0) {
			shown := "inf"
			if strings.HasPrefix(string(t), "-") {
				shown = "-inf"
			}
			return notNumber(shown)
		}
		n, _ = big.NewFloat(math.Trunc(f)).Int(nil)
	case []any:
		if len(t) == 0 {
			return 0, false, nil
		}
		return notNumber(raw)
	case map[string]any:
		if len(t) == 0 {
			return 0, false, nil
		}
		return notNumber(raw)
	default:
		return notNumber(raw)
	}
	switch {
	case n.Sign() < 0:
		return 0, false, &domain.Issue{Location: domain.InQuerystring, Name: name, Description: n.String() + " is less than minimum value 0"}
	case n.Cmp(maxIntParam) > 0:
		return 0, false, &domain.Issue{Location: domain.InQuerystring, Name: name, Description: n.String() + " is greater than maximum value " + maxIntParam.String()}
	case !n.IsInt64():
		// Exactly 2**63, which Kinto's schema still takes: as a page size
		// it is capped anyway, and as a timestamp it is out of range
		// (timestampInRange refuses MaxInt64), as in Kinto.
		return math.MaxInt64, true, nil
	}
	return n.Int64(), true, nil
}

func isSignedDigits(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// timestampValue is Kinto's timestamp check on a decoded filter value: an
// integer, a string of digits (optionally within double quotes), a boolean
// or a number (truncated), in range.
func timestampValue(v any, now int64) (int64, bool) {
	var n int64
	switch t := v.(type) {
	case string:
		s := t
		if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
			s = s[1 : len(s)-1]
		}
		if s == "" || !isSignedDigits(s) || s[0] == '-' || s[0] == '+' {
			return 0, false
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		n = i
	case bool:
		if t {
			n = 1
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			n = i
			break
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || math.IsInf(f, 0) || math.Abs(f) >= math.MaxInt64 {
			return 0, false
		}
		n = int64(math.Trunc(f))
	default:
		return 0, false
	}
	return n, timestampInRange(n, now)
}

// maxIntParam is the inclusive upper bound of Kinto's integer parameters
// (its POSTGRESQL_MAX_INTEGER_VALUE, 2**63), named in its error message.
var maxIntParam = new(big.Int).Lsh(big.NewInt(1), 63)

// timestampInRange is Kinto's timestamp bound: from 0 to before now plus one
// day. MaxInt64 stands for values beyond int64, which no server timestamp
// reaches (app bounds proposed timestamps well below). The comparison is
// written so that it cannot overflow.
func timestampInRange(n, now int64) bool {
	return n >= 0 && n < math.MaxInt64 && (now == 0 || n-timestampSlack < now)
}

// listOf is a contains_ value as a list: a JSON array as is, anything else
// as the one element.
func listOf(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// decodeJSONValue decodes exactly one JSON value, numbers as json.Number.
func decodeJSONValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON value: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

// hasNUL reports whether a decoded value holds a NUL character in a string
// or a key; Postgres cannot store those in jsonb.
func hasNUL(v any) bool {
	switch t := v.(type) {
	case string:
		return strings.IndexByte(t, 0) >= 0
	case []any:
		for _, e := range t {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range t {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	}
	return false
}
