package postgres

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// This file translates domain filters, sorts and keyset cursors into SQL
// over the objects table, with the semantics of domain.Match and
// domain.CompareRecords:
//
//   - A field is a jsonb expression that is SQL NULL when the field is
//     missing ("id" and "last_modified" are columns, "deleted" is the flag).
//   - Order: a rank per JSON type (null 0 < string 1 < number 2 < boolean 3
//     < array 4 < object 5 < missing 6), then, within a rank, strings by
//     their text in the "C" collation (bytewise, as domain.Compare) and
//     every other type by jsonb's own order, which is domain.Compare's:
//     numbers exactly by value, false < true, arrays and objects by size
//     first, then member by member. Strings nested in arrays and objects
//     follow the database's default collation there, so a database created
//     with the "C" or "C.UTF-8" collation agrees with domain.Compare at
//     every depth.
//   - Sorting on data fields computes each field, its rank and its string
//     key once per row in subqueries (see source in storage.go).
//
// What cannot be written faithfully (values jsonb or text cannot hold, such
// as a NUL character or 1e999999999, and dotted paths deeper than
// maxDottedSegments) makes the builder report false; the caller then loads
// the list and applies domain.Select in Go.

// Ranks of the cross-type order.
const (
	rankNull = iota
	rankString
	rankNumber
	rankBool
	rankArray
	rankObject
	rankMissing
)

// maxDottedSegments bounds the dotted paths translated to SQL: a path of n
// segments has 2^(n-1) ways to split into keys (keys may contain dots), and
// the SQL expression enumerates them.
const maxDottedSegments = 6

// maxExponent bounds the decimal exponent of the numbers sent to the
// database: numeric holds 131,072 digits before the point and 16,383 after.
const maxExponent = 10_000

// builder accumulates the positional arguments of one statement.
type builder struct {
	args []any
	// customPlan is set by the conditions whose best plan depends on
	// their values (containment, served by the GIN index or not).
	customPlan bool
}

// hint returns query with customPlanHint when the builder needs it.
func (b *builder) hint(query string) string {
	if b.customPlan {
		return customPlanHint + query
	}
	return query
}

// arg adds a parameter and returns its placeholder.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// placeholder matches the parameters the builder writes. The statements
// hold no string literal with a "$".
var placeholder = regexp.MustCompile(`\$[0-9]+`)

// compact drops the arguments query never reads and renumbers the others:
// a translation that folds to a constant (an empty in list, like on a
// number) leaves its field's arguments unread, and the server refuses a
// parameter whose type it cannot infer.
func compact(query string, args []any) (string, []any) {
	renumber := make(map[string]string)
	var kept []any
	changed := false
	for _, p := range placeholder.FindAllString(query, -1) {
		if _, ok := renumber[p]; ok {
			continue
		}
		i, _ := strconv.Atoi(p[1:])
		kept = append(kept, args[i-1])
		n := "$" + strconv.Itoa(len(kept))
		renumber[p] = n
		changed = changed || n != p
	}
	if !changed && len(kept) == len(args) {
		return query, args
	}
	return placeholder.ReplaceAllStringFunc(query, func(p string) string { return renumber[p] }), kept
}

// column tells a field that is a column of the objects table.
type column int

const (
	colNone column = iota
	colID
	colLastModified
)

// field is one dotted path, ready for SQL.
type field struct {
	col  column
	json string // jsonb expression, SQL NULL when the field is missing
	// For a sort key computed once per row by a subquery (see source):
	// the expressions of its value, rank and string key, which the columns
	// k<i>, r<i> and s<i> named by json, rankCol and strCol hold.
	extractedFrom string
	rankCol       string
	strCol        string
}

// field translates a dotted path; false when it is too deep for SQL.
func (b *builder) field(path string) (field, bool) {
	switch path {
	case "id":
		return field{col: colID, json: "to_jsonb(id)"}, true
	case "last_modified":
		return field{col: colLastModified, json: "to_jsonb(last_modified)"}, true
	case "deleted":
		inData, ok := b.path("data", path)
		if !ok {
			return field{}, false
		}
		return field{json: "(CASE WHEN deleted THEN 'true'::jsonb ELSE " + inData + " END)"}, true
	}
	if strings.Count(path, ".") >= maxDottedSegments {
		return field{}, false
	}
	expr, ok := b.path("data", path)
	return field{json: expr}, ok
}

// path writes domain.Record.Field's lookup: the whole path as a key if the
// object has it, else the longest dotted prefix that is a key, descending
// into its value (missing unless that value is an object, which -> gives
// for free: it yields NULL on arrays and scalars).
func (b *builder) path(base, path string) (string, bool) {
	if !utf8.ValidString(path) || strings.IndexByte(path, 0) >= 0 {
		return "", false
	}
	if !strings.Contains(path, ".") {
		return "(" + base + "->" + b.arg(path) + ")", true
	}
	var sb strings.Builder
	whole := b.arg(path)
	sb.WriteString("(CASE WHEN " + base + " ? " + whole + " THEN " + base + "->" + whole)
	for i := len(path) - 1; i > 0; i-- {
		if path[i] != '.' {
			continue
		}
		key := b.arg(path[:i])
		rest, ok := b.path("("+base+"->"+key+")", path[i+1:])
		if !ok {
			return "", false
		}
		sb.WriteString(" WHEN " + base + " ? " + key + " THEN " + rest)
	}
	sb.WriteString(" END)")
	return sb.String(), true
}

// rank returns the SQL rank of f, or its constant rank for columns.
func (f field) rank() (sql string, constant int) {
	switch f.col {
	case colID:
		return "", rankString
	case colLastModified:
		return "", rankNumber
	}
	if f.rankCol != "" {
		return f.rankCol, -1
	}
	return "(CASE jsonb_typeof(" + f.json + ") WHEN 'null' THEN 0 WHEN 'string' THEN 1 WHEN 'number' THEN 2 " +
		"WHEN 'boolean' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 5 ELSE 6 END)", -1
}

// typed returns the typed sort key of f for rank r: NULL on rows of another
// rank, so that it can appear in ORDER BY next to the rank. Null and
// missing have no typed key ("").
func (f field) typed(r int) string {
	switch f.col {
	case colID:
		if r == rankString {
			return "id"
		}
		return ""
	case colLastModified:
		if r == rankNumber {
			return "last_modified"
		}
		return ""
	}
	switch r {
	case rankNull, rankMissing:
		return ""
	case rankString:
		if f.strCol != "" {
			return f.strCol
		}
		// jsonb would compare strings in the database's collation.
		return "((CASE WHEN jsonb_typeof(" + f.json + ") = 'string' THEN " + f.json + " #>> '{}' END) COLLATE \"C\")"
	}
	// Numbers (exactly, as numeric), booleans, arrays and objects: jsonb's
	// own order within one type is domain.Compare's.
	return f.json
}

// orderBy returns the ORDER BY terms of one sort.
func (f field) orderBy(desc bool) []string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	switch f.col {
	case colID:
		return []string{"id" + dir}
	case colLastModified:
		return []string{"last_modified" + dir}
	}
	rank, _ := f.rank()
	// The rank keeps types apart; within a rank, strings order by their
	// "C" text (NULL for other types) and other types by their jsonb value.
	return []string{rank + dir, f.typed(rankString) + dir, f.json + dir}
}

// value is a decoded JSON value ready to be compared in SQL. Its
// parameters are bound on first use: the server refuses a statement with a
// parameter it never reads, whose type it cannot infer.
type value struct {
	rank   int
	v      any
	raw    string // JSON text
	ts     int64  // the integer, for comparisons with last_modified
	hasTS  bool
	typedP string
	jsonP  string
}

// value prepares v; false when SQL cannot hold it exactly.
func (b *builder) value(v any) (*value, bool) {
	raw, ok := jsonOf(v)
	if !ok {
		return nil, false
	}
	out := &value{v: v, raw: raw}
	switch v.(type) {
	case nil:
		out.rank = rankNull
	case string:
		out.rank = rankString
	case bool:
		out.rank = rankBool
	case []any:
		out.rank = rankArray
	case map[string]any:
		out.rank = rankObject
	default:
		out.rank = rankNumber
		out.ts, out.hasTS = domain.AsInt(v)
	}
	return out, true
}

// missing is the cursor value of a missing field.
func missing() *value { return &value{rank: rankMissing} }

// typed returns the SQL of v's typed key, "" for null and missing.
func (b *builder) typed(v *value) string {
	if v.typedP != "" {
		return v.typedP
	}
	switch v.rank {
	case rankString:
		v.typedP = "(" + b.arg(v.v) + "::text COLLATE \"C\")"
	case rankNumber, rankBool, rankArray, rankObject:
		v.typedP = b.json(v)
	}
	return v.typedP
}

// numeric returns the SQL of a number v for comparisons with the
// last_modified column: bigint when integral, so that its index serves.
func (b *builder) numeric(v *value) string {
	if v.hasTS {
		return b.arg(v.ts) + "::bigint"
	}
	return b.arg(v.raw) + "::numeric"
}

// json returns the SQL of v as a jsonb value.
func (b *builder) json(v *value) string {
	if v.jsonP == "" {
		v.jsonP = b.arg(v.raw) + "::jsonb"
	}
	return v.jsonP
}

// jsonOf returns the JSON text of a decoded value, false when the value
// holds something jsonb refuses or Compare and numeric would disagree on.
func jsonOf(v any) (string, bool) {
	if !storable(v) {
		return "", false
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(raw), true
}

// storable reports whether jsonb can hold v exactly.
func storable(v any) bool {
	switch t := v.(type) {
	case nil, bool:
		return true
	case string:
		return utf8.ValidString(t) && strings.IndexByte(t, 0) < 0
	case json.Number:
		return numberFits(string(t))
	case float64:
		return !math.IsNaN(t) && !math.IsInf(t, 0)
	case float32:
		return !math.IsNaN(float64(t)) && !math.IsInf(float64(t), 0)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case []any:
		for _, e := range t {
			if !storable(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for k, e := range t {
			if !storable(k) || !storable(e) {
				return false
			}
		}
		return true
	}
	return false
}

// jsonNumber is the grammar of a JSON number.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?([0-9]+))?$`)

// numberFits reports whether s is a JSON number small enough in magnitude
// and precision for numeric.
func numberFits(s string) bool {
	if len(s) > 1000 {
		return false
	}
	m := jsonNumber.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	if m[4] != "" {
		e, err := strconv.Atoi(m[4])
		if err != nil || e > maxExponent {
			return false
		}
	}
	return true
}

// compare returns the SQL condition "f op v" in the cross-type order, where
// op is one of < <= > >= =. A missing field (rank 6) is above every value.
func (b *builder) compare(f field, op string, v *value) string {
	rankSQL, constRank := f.rank()
	strict := ""
	switch op {
	case "<", "<=":
		strict = "<"
	case ">", ">=":
		strict = ">"
	}
	var rankStrict, rankEqual string
	if constRank >= 0 {
		rankStrict = boolSQL(strict != "" && cmpInts(constRank, strict, v.rank))
		rankEqual = boolSQL(constRank == v.rank)
	} else {
		rankStrict = "FALSE"
		if strict != "" {
			rankStrict = rankSQL + " " + strict + " " + strconv.Itoa(v.rank)
		}
		rankEqual = rankSQL + " = " + strconv.Itoa(v.rank)
	}
	typed := f.typed(v.rank)
	var sameRank string
	switch {
	case rankEqual == "FALSE":
		sameRank = "FALSE"
	case typed == "":
		// null or missing: every value of the rank is equal.
		sameRank = "FALSE"
		if op == "=" || op == "<=" || op == ">=" {
			sameRank = rankEqual
		}
	default:
		lit := b.typed(v)
		if f.col == colLastModified {
			lit = b.numeric(v)
		}
		sameRank = and(rankEqual, typed+" "+op+" "+lit)
	}
	return or(rankStrict, sameRank)
}

// cmpInts evaluates a op b for a constant rank.
func cmpInts(a int, op string, b int) bool {
	if op == "<" {
		return a < b
	}
	return a > b
}

func boolSQL(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// or and and build boolean SQL, folding the constants they meet.
func or(terms ...string) string { return fold(" OR ", "TRUE", "FALSE", terms) }

func and(terms ...string) string { return fold(" AND ", "FALSE", "TRUE", terms) }

// fold joins terms with op: the absorbing constant decides alone, the
// neutral one (and empty terms) drops out, and no term left gives neutral.
func fold(op, absorbing, neutral string, terms []string) string {
	var kept []string
	for _, t := range terms {
		switch t {
		case absorbing:
			return absorbing
		case neutral, "":
			continue
		}
		kept = append(kept, t)
	}
	switch len(kept) {
	case 0:
		return neutral
	case 1:
		return kept[0]
	}
	return "(" + strings.Join(kept, op) + ")"
}

func not(t string) string {
	switch t {
	case "TRUE":
		return "FALSE"
	case "FALSE":
		return "TRUE"
	}
	return "(NOT " + t + ")"
}

// filter translates one filter; false when it needs Go.
func (b *builder) filter(f domain.Filter) (string, bool) {
	fd, ok := b.field(f.Field)
	if !ok {
		return "", false
	}
	switch f.Op {
	case domain.OpEq, "":
		if cond, ok := b.containsScalars(f.Field, []any{f.Value}); ok {
			return cond, true
		}
		return b.equal(fd, f.Value)
	case domain.OpNot:
		eq, ok := b.equal(fd, f.Value)
		if !ok {
			return "", false
		}
		return not("COALESCE(" + eq + ", FALSE)"), true
	case domain.OpLt, domain.OpMax, domain.OpGt, domain.OpMin:
		v, ok := b.value(f.Value)
		if !ok {
			return "", false
		}
		op := map[domain.Op]string{domain.OpLt: "<", domain.OpMax: "<=", domain.OpGt: ">", domain.OpMin: ">="}[f.Op]
		return b.compare(fd, op, v), true
	case domain.OpIn:
		if cond, ok := b.containsScalars(f.Field, asList(f.Value)); ok {
			return cond, true
		}
		return b.in(fd, asList(f.Value))
	case domain.OpExclude:
		in, ok := b.in(fd, asList(f.Value))
		if !ok {
			return "", false
		}
		return not("COALESCE(" + in + ", FALSE)"), true
	case domain.OpLike:
		pattern, ok := f.Value.(string)
		if !ok {
			return "FALSE", true
		}
		if !storable(pattern) {
			return "", false
		}
		text := "(" + fd.json + " #>> '{}')"
		switch fd.col {
		case colID:
			text = "id"
		case colLastModified:
			text = "last_modified::text"
		}
		return "(" + text + " ILIKE " + b.arg(likePattern(pattern)) + ")", true
	case domain.OpHas:
		if fd.col != colNone {
			return boolSQL(domain.Truthy(f.Value)), true
		}
		if domain.Truthy(f.Value) {
			return "(" + fd.json + " IS NOT NULL)", true
		}
		return "(" + fd.json + " IS NULL)", true
	case domain.OpContains:
		raw, ok := jsonOf(asList(f.Value))
		if !ok {
			return "", false
		}
		return "(CASE WHEN jsonb_typeof(" + fd.json + ") = 'array' THEN " + fd.json + " @> " + b.arg(raw) + "::jsonb ELSE FALSE END)", true
	case domain.OpContainsAny:
		raw, ok := jsonOf(asList(f.Value))
		if !ok {
			return "", false
		}
		return "(CASE WHEN jsonb_typeof(" + fd.json + ") = 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(" + fd.json +
			") AS e(v) WHERE e.v IN (SELECT jsonb_array_elements(" + b.arg(raw) + "::jsonb))) ELSE FALSE END)", true
	}
	return "FALSE", true
}

// equal is "field present and equal to v"; jsonb equality is domain.Equal
// (numbers by value, strings and keys bytewise, types exact). The columns
// compare natively so that their indexes serve.
func (b *builder) equal(fd field, v any) (string, bool) {
	switch fd.col {
	case colID:
		s, ok := v.(string)
		if !ok {
			return "FALSE", true
		}
		if !storable(s) {
			return "", false
		}
		return "(id = " + b.arg(s) + ")", true
	case colLastModified:
		val, ok := b.value(v)
		if !ok {
			return "", false
		}
		return b.compare(fd, "=", val), true
	}
	raw, ok := jsonOf(v)
	if !ok {
		return "", false
	}
	return "(" + fd.json + " = " + b.arg(raw) + "::jsonb)", true
}

// containsScalars writes "field present and equal to one of values" as
// containment, data @> '{"field": value}', which the GIN index on data
// (jsonb_path_ops, migration 0004) serves, so that an equality or in_
// filter reads only the matching rows instead of scanning the list. The
// form is exact only for a top-level field and scalar values: jsonb
// containment of a scalar under a key is equality (numbers by value,
// strings bytewise, null only null; an array under the key does not
// contain a scalar below the top level), whereas an array or object value
// would match any superset. Anything else (dotted paths, which may name a
// key containing dots, the columns, the deleted flag, an empty list,
// non-scalar values) reports false and keeps the general translation.
func (b *builder) containsScalars(path string, values []any) (string, bool) {
	switch path {
	case "id", "last_modified", "deleted":
		return "", false
	}
	if len(values) == 0 || strings.Contains(path, ".") || !utf8.ValidString(path) || strings.IndexByte(path, 0) >= 0 {
		return "", false
	}
	docs := make([]string, len(values))
	for i, v := range values {
		switch v.(type) {
		case []any, map[string]any:
			return "", false
		}
		if !storable(v) {
			return "", false
		}
		raw, err := json.Marshal(map[string]any{path: v})
		if err != nil {
			return "", false
		}
		docs[i] = string(raw)
	}
	b.customPlan = true
	if len(docs) == 1 {
		return "(data @> " + b.arg(docs[0]) + "::jsonb)", true
	}
	// A bitmap scan runs one index search per element of the array.
	return "(data @> ANY(" + b.arg(pq.Array(docs)) + "::jsonb[]))", true
}

// in is "field present and equal to one of list".
func (b *builder) in(fd field, list []any) (string, bool) {
	if len(list) == 0 {
		return "FALSE", true
	}
	if fd.col == colID {
		var ids []string
		for _, v := range list {
			if s, ok := v.(string); ok {
				if !storable(s) {
					return "", false
				}
				ids = append(ids, s)
			}
		}
		if len(ids) == 0 {
			return "FALSE", true
		}
		return "(id = ANY(" + b.arg(pq.Array(ids)) + "::text[]))", true
	}
	raw, ok := jsonOf(list)
	if !ok {
		return "", false
	}
	return "(" + fd.json + " IN (SELECT jsonb_array_elements(" + b.arg(raw) + "::jsonb)))", true
}

// asList is domain's reading of in/exclude/contains values: a list, or one
// value standing for a one-element list.
func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// likePattern turns a like_ value into an ILIKE pattern as domain.Like
// reads it: '*' is '%', a value without '*' matches as a substring, '%'
// and '_' stay wildcards, '\' escapes the next character and a trailing
// '\' stands for itself.
func likePattern(value string) string {
	var sb strings.Builder
	star := strings.Contains(value, "*")
	if !star {
		sb.WriteByte('%')
	}
	escaped := false
	for _, r := range value {
		switch {
		case escaped:
			sb.WriteByte('\\')
			sb.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '*':
			sb.WriteByte('%')
		default:
			sb.WriteRune(r)
		}
	}
	if escaped {
		sb.WriteString(`\\`)
	}
	if !star {
		sb.WriteByte('%')
	}
	return sb.String()
}

// escapeLike escapes the LIKE metacharacters of a literal prefix.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// sortKey is one translated sort.
type sortKey struct {
	field field
	desc  bool
}

// sorts translates q's order; false when a field needs Go.
func (b *builder) sorts(sorts []domain.Sort) ([]sortKey, bool) {
	out := make([]sortKey, len(sorts))
	for i, s := range sorts {
		f, ok := b.field(s.Field)
		if !ok {
			return nil, false
		}
		out[i] = sortKey{field: f, desc: s.Desc}
	}
	return out, true
}

// orderBy returns the ORDER BY clause of keys ("" for none).
func orderBy(keys []sortKey) string {
	var terms []string
	for _, k := range keys {
		terms = append(terms, k.field.orderBy(k.desc)...)
	}
	if len(terms) == 0 {
		return ""
	}
	return " ORDER BY " + strings.Join(terms, ", ")
}

// after translates a keyset cursor: the rows strictly after cursor in the
// order keys, that is (k1 = v1 ∧ … ∧ kn-1 = vn-1 ∧ kn ≻ vn) ∨ … ∨ (k1 ≻ v1),
// where ≻ is > ascending and < descending. Extra cursor values are
// ignored, missing ones end the comparison, as in domain.After.
func (b *builder) after(keys []sortKey, cursor []domain.SortValue) (string, bool) {
	n := min(len(keys), len(cursor))
	if n == 0 {
		return "TRUE", true
	}
	vals := make([]*value, n)
	for i := range n {
		if cursor[i].Missing {
			vals[i] = missing()
			continue
		}
		v, ok := b.value(cursor[i].Value)
		if !ok {
			return "", false
		}
		vals[i] = v
	}
	var alternatives []string
	for i := range n {
		var terms []string
		for j := range i {
			terms = append(terms, b.compare(keys[j].field, "=", vals[j]))
		}
		op := ">"
		if keys[i].desc {
			op = "<"
		}
		terms = append(terms, b.compare(keys[i].field, op, vals[i]))
		alternatives = append(alternatives, and(terms...))
	}
	return or(alternatives...), true
}
