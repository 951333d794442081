package http_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/domain/domaintest"
)

const testNow = int64(1714000000000)

// describe renders filters as "op field value" lines for comparisons.
func describe(t *testing.T, fs []domain.Filter) string {
	t.Helper()
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s %s %s", f.Op, f.Field, asJSON(t, f.Value))
	}
	return strings.Join(out, "; ")
}

func parse(t *testing.T, qs string, opts httpadapter.ListQueryOptions) (httpadapter.ListQuery, error) {
	t.Helper()
	values, err := url.ParseQuery(qs)
	if err != nil {
		t.Fatalf("url.ParseQuery(%q): %v", qs, err)
	}
	if opts.Now == 0 {
		opts.Now = testNow
	}
	return httpadapter.ParseListQuery(values, opts)
}

// wantIssue checks that err is Invalid with the given first issue.
func wantIssue(t *testing.T, label string, err error, name, description string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %q", label, description)
		return
	}
	e := domain.AsError(err)
	if e == nil || e.Kind != domain.Invalid || len(e.Issues) == 0 {
		t.Errorf("%s: error %v (kind %v), want Invalid with issues", label, err, domain.KindOf(err))
		return
	}
	got := e.Issues[0]
	want := domain.Issue{Location: domain.InQuerystring, Name: name, Description: description}
	if got != want {
		t.Errorf("%s: issue %+v, want %+v", label, got, want)
	}
}

func TestParseListQueryFilters(t *testing.T) {
	tests := []struct {
		qs   string
		want string
	}{
		{"title=abc", `eq title "abc"`},
		{"n=5", `eq n 5`},
		{"n=-1.50", `eq n -1.50`},
		{`s="5"`, `eq s "5"`},
		{"b=true", `eq b true`},
		{"z=null", `eq z null`},
		{"a=[1,2]", `eq a [1,2]`},
		{`o={"a":1}`, `eq o {"a":1}`},
		{"v=1.2.3", `eq v "1.2.3"`},
		{"v=", `eq v ""`},
		{"big=123456789012345678901234567890", `eq big 123456789012345678901234567890`},
		{"author.name=Ann", `eq author.name "Ann"`},
		{"my-field=1", `eq my-field 1`},
		{"gt_a-b=1", `eq gt_a-b 1`},
		{"eq_n=5", `eq n 5`},
		{"not_n=5", `not n 5`},
		{"lt_n=5", `lt n 5`},
		{"max_n=5", `max n 5`},
		{"gt_author.age=5", `gt author.age 5`},
		{"min_n=5", `min n 5`},
		{"in_stock=true", `in stock [true]`},
		{`in_n=1,2,"3",x`, `in n [1,2,"3","x"]`},
		{"exclude_n=a,,b", `exclude n ["a","b"]`},
		{"in_n=", `in n []`},
		{"in_n=[1,2]", `in n ["[1","2]"]`},
		{"like_title=abc", `like title "abc"`},
		{`like_title="10"`, `like title "10"`},
		{"has_f=false", `has f false`},
		{"has_f=1", `has f 1`},
		{"contains_tags=x", `contains tags ["x"]`},
		{`contains_tags=["x",1]`, `contains tags ["x",1]`},
		{"contains_any_tags=[1,2]", `contains_any tags [1,2]`},
		{"contains_any_tags=1", `contains_any tags [1]`},
		{"id=abc", `eq id "abc"`},
		{"id=5", `eq id "5"`},
		{`id="x"`, `eq id "x"`},
		{"not_id=5", `not id "5"`},
		{"gt_id=true", `gt id "true"`},
		{"in_id=a,b", `in id ["a","b"]`},
		{"has_id=true", `has id true`},
		{"last_modified=123", `eq last_modified 123`},
		{`last_modified="123"`, `eq last_modified 123`},
		{`gt_last_modified="12"`, `gt last_modified 12`},
		{`not_last_modified=12`, `not last_modified 12`},
		{`min_last_modified=%2212%22`, `min last_modified 12`},
		{`min_last_modified="\"12\""`, `min last_modified 12`},
		{`gt_last_modified=true`, `gt last_modified 1`},
		{`gt_last_modified=12.9`, `gt last_modified 12`},
		{`has_last_modified=true`, `has last_modified 1`},
		{"_since=123", `gt last_modified 123`},
		{`_since="123"`, `gt last_modified 123`},
		{"_before=5", `lt last_modified 5`},
		{"_to=5", `lt last_modified 5`},
		{"_since=null", `in last_modified []`},
		{"_before=null", `in last_modified []`},
		{"_since=0", `gt last_modified 0`},
		{"_expected=123&_foo=bar&_sort=x&_limit=3&_token=&_fields=a", ``},
		{"+title+=x", `eq title "x"`},
		{"a=1&b=2&a=3", `eq a 3; eq b 2`},
		{"émoji=1", `eq émoji 1`},
	}
	for _, tt := range tests {
		req, err := parse(t, tt.qs, httpadapter.ListQueryOptions{})
		if err != nil {
			t.Errorf("ParseListQuery(%q): %v", tt.qs, err)
			continue
		}
		if got := describe(t, req.Filters); got != tt.want {
			t.Errorf("ParseListQuery(%q) filters = %s, want %s", tt.qs, got, tt.want)
		}
		wantDeleted := strings.Contains(tt.want, "last_modified")
		if req.WithDeleted != wantDeleted {
			t.Errorf("ParseListQuery(%q) WithDeleted = %v, want %v", tt.qs, req.WithDeleted, wantDeleted)
		}
		if req.DeprecatedTo != strings.HasPrefix(tt.qs, "_to=") {
			t.Errorf("ParseListQuery(%q) DeprecatedTo = %v", tt.qs, req.DeprecatedTo)
		}
	}
}

func TestParseListQueryErrors(t *testing.T) {
	future := testNow + 2*24*3600*1000
	tests := []struct {
		qs, name, description string
	}{
		{"_since=abc", "_since", `"abc" is not a number`},
		{`_since="abc"`, "_since", `"abc" is not a number`},
		{"_since=-1", "_since", "-1 is less than minimum value 0"},
		{"_since=99999999999999999999", "_since", "99999999999999999999 is greater than maximum value 9223372036854775808"},
		{"_since=9223372036854775809", "_since", "9223372036854775809 is greater than maximum value 9223372036854775808"},
		// 2**63 passes Kinto's schema, then fails its timestamp check.
		{"_since=9223372036854775808", "_since", "Invalid value for _since"},
		{"_before=9223372036854775807", "_before", "Invalid value for _before"},
		{"last_modified=9223372036854775808", "last_modified", "Invalid value for last_modified"},
		{"gt_last_modified=9223372036854775807", "gt_last_modified", "Invalid value for gt_last_modified"},
		{"_since=", "_since", "Invalid value for _since"},
		{"_since=[]", "_since", "Invalid value for _since"},
		{fmt.Sprintf("_since=%d", future), "_since", "Invalid value for _since"},
		{"_before=x1", "_before", `"x1" is not a number`},
		{"_to=-5", "_to", "-5 is less than minimum value 0"},
		{"_limit=abc", "_limit", `"abc" is not a number`},
		{"_limit=-1", "_limit", "-1 is less than minimum value 0"},
		{"_limit=[1]", "_limit", `"[1]" is not a number`},
		{"_limit=1e999", "_limit", `"inf" is not a number`},
		{"_limit=-1e999", "_limit", `"-inf" is not a number`},
		{"_limit=-1.5", "_limit", "-1 is less than minimum value 0"},
		{"_limit=1e20", "_limit", "100000000000000000000 is greater than maximum value 9223372036854775808"},
		{`_limit={"a":1}`, "_limit", `"{\"a\":1}" is not a number`},
		{`_limit="1.5"`, "_limit", `"1.5" is not a number`},
		{"gt_last_modified=1e400", "gt_last_modified", "Invalid value for gt_last_modified"},
		{"gt_last_modified=99999999999999999999", "gt_last_modified", "Invalid value for gt_last_modified"},
		{"gt_last_modified=%22-5%22", "gt_last_modified", "Invalid value for gt_last_modified"},
		{"gt_last_modified=null", "gt_last_modified", "Invalid value for gt_last_modified"},
		{"last_modified=abc", "last_modified", `"abc" is not a number`},
		{"last_modified=-1", "last_modified", "-1 is less than minimum value 0"},
		{"last_modified=null", "last_modified", "Invalid value for last_modified"},
		{fmt.Sprintf("last_modified=%d", future), "last_modified", "Invalid value for last_modified"},
		{"gt_last_modified=abc", "gt_last_modified", "Invalid value for gt_last_modified"},
		{"gt_last_modified=-3", "gt_last_modified", "Invalid value for gt_last_modified"},
		{"lt_last_modified=[1]", "lt_last_modified", "Invalid value for lt_last_modified"},
		{fmt.Sprintf("lt_last_modified=%d", future), "lt_last_modified", "Invalid value for lt_last_modified"},
		{"in_last_modified=1,2", "in_last_modified", "Invalid value for in_last_modified"},
		{"exclude_last_modified=1", "exclude_last_modified", "Invalid value for exclude_last_modified"},
		{"contains_last_modified=1", "contains_last_modified", "Invalid value for contains_last_modified"},
		{"contains_any_last_modified=1", "contains_any_last_modified", "Invalid value for contains_any_last_modified"},
		{"like_title=10", "like_title", "Invalid value for like_title"},
		{"like_title=null", "like_title", "Invalid value for like_title"},
		{"like_title=[1]", "like_title", "Invalid value for like_title"},
		{"in_id=1,b", "in_id", "Invalid value for in_id"},
		{"exclude_id=true", "exclude_id", "Invalid value for exclude_id"},
		{"contains_id=a", "contains_id", "Field 'id' is not an array"},
		{"contains_any_id=a", "contains_any_id", "Field 'id' is not an array"},
		{"title=a%00b", "title", "Invalid character 0x00"},
		{"ti%00tle=1", "ti\x00tle", "Invalid character 0x00"},
		{`title="\u0000"`, "title", "Invalid character 0x00"},
		{`in_tags=a,b%00`, "in_tags", "Invalid character 0x00"},
		{`o={"a%00":1}`, "o", "Invalid character 0x00"},
		{"_token=abc", "", "_token has invalid content"},
		{"_token=%22abc%22", "", "_token has invalid content"},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.qs, httpadapter.ListQueryOptions{})
		wantIssue(t, fmt.Sprintf("ParseListQuery(%q)", tt.qs), err, tt.name, tt.description)
	}
}

func TestParseListQueryReportsEverySchemaIssue(t *testing.T) {
	_, err := parse(t, "_since=abc&_limit=-1&title=a%00", httpadapter.ListQueryOptions{})
	e := domain.AsError(err)
	if e == nil || len(e.Issues) != 2 {
		t.Fatalf("ParseListQuery: %v, want 2 issues", err)
	}
	if e.Issues[0].Name != "_limit" || e.Issues[1].Name != "_since" {
		t.Errorf("issues %+v, want _limit then _since", e.Issues)
	}
}

func TestParseListQuerySort(t *testing.T) {
	byTitle := []domain.Sort{{Field: "title"}}
	tests := []struct {
		qs      string
		deflt   []domain.Sort
		want    string
		comment string
	}{
		{"", nil, "-last_modified", "protocol default"},
		{"", byTitle, "title,-last_modified", "resource default"},
		{"_sort=title,-n", nil, "title,-n,-last_modified", "tie-breaker appended"},
		{"_sort=-last_modified", nil, "-last_modified", "already listed"},
		{"_sort=last_modified,title", nil, "last_modified,title", "listed first"},
		{"_sort=%2Ba, b ,!!,,c-d,-", nil, "a,b,-last_modified", "malformed entries dropped"},
		{"_sort=author.name", nil, "author.name,-last_modified", "dotted"},
		{"_sort=!!", byTitle, "title,-last_modified", "all malformed: default"},
	}
	for _, tt := range tests {
		req, err := parse(t, tt.qs, httpadapter.ListQueryOptions{DefaultSort: tt.deflt})
		if err != nil {
			t.Errorf("ParseListQuery(%q): %v", tt.qs, err)
			continue
		}
		var names []string
		for _, s := range req.Sort {
			if s.Desc {
				names = append(names, "-"+s.Field)
			} else {
				names = append(names, s.Field)
			}
		}
		if got := strings.Join(names, ","); got != tt.want {
			t.Errorf("ParseListQuery(%q) sort (%s) = %s, want %s", tt.qs, tt.comment, got, tt.want)
		}
	}
}

func TestParseListQueryLimit(t *testing.T) {
	tests := []struct {
		qs         string
		paginateBy int
		maxFetch   int
		want       int
	}{
		{"", 0, 0, 10000},
		{"_limit=5", 0, 0, 5},
		{"_limit=", 0, 0, 10000},
		{"_limit=null", 0, 0, 10000},
		{"_limit=0", 0, 0, 10000},
		{"_limit=1.9", 0, 0, 1},
		{`_limit="7"`, 0, 0, 7},
		{"_limit=20000", 0, 0, 10000},
		{"_limit=20000", 0, 50, 50},
		{"", 20, 0, 20},
		{"_limit=5", 20, 0, 5},
		{"_limit=50", 20, 0, 20},
		{"_limit=0", 20, 0, 10000},
		{"", 20, 10, 10},
		{"_limit=true", 0, 0, 1},
		{"_limit=false", 0, 0, 10000},
		{"_limit={}", 0, 0, 10000},
		{"_limit=[]", 0, 0, 10000},
		{"_limit=%2B3", 0, 0, 3},
		{"_limit=%22%204%20%22", 0, 0, 4},
	}
	for _, tt := range tests {
		req, err := parse(t, tt.qs, httpadapter.ListQueryOptions{PaginateBy: tt.paginateBy, MaxFetchSize: tt.maxFetch})
		if err != nil {
			t.Errorf("ParseListQuery(%q): %v", tt.qs, err)
			continue
		}
		if req.Limit != tt.want {
			t.Errorf("ParseListQuery(%q, paginate_by=%d, max=%d) limit = %d, want %d", tt.qs, tt.paginateBy, tt.maxFetch, req.Limit, tt.want)
		}
	}
}

func TestComputeLimit(t *testing.T) {
	tests := []struct {
		limit           int64
		given           bool
		paginateBy, max int
		want            int
	}{
		{0, false, 0, 0, httpadapter.DefaultMaxFetchSize},
		{3, true, 0, 0, 3},
		{3, true, 2, 0, 2},
		{0, true, 2, 0, httpadapter.DefaultMaxFetchSize},
		{0, false, 2, 0, 2},
		{1 << 40, true, 0, 100, 100},
	}
	for _, tt := range tests {
		if got := httpadapter.ComputeLimit(tt.limit, tt.given, tt.paginateBy, tt.max); got != tt.want {
			t.Errorf("ComputeLimit(%d, %v, %d, %d) = %d, want %d", tt.limit, tt.given, tt.paginateBy, tt.max, got, tt.want)
		}
	}
}

func TestParseListQueryFields(t *testing.T) {
	req, err := parse(t, "_fields=title,author.name,,x", httpadapter.ListQueryOptions{})
	if err != nil {
		t.Fatalf("ParseListQuery: %v", err)
	}
	if got := strings.Join(req.Fields, "|"); got != "title|author.name|x" {
		t.Errorf("Fields = %s, want title|author.name|x", got)
	}
	if req, _ := parse(t, "_fields=", httpadapter.ListQueryOptions{}); req.Fields != nil {
		t.Errorf("Fields(empty) = %v, want nil", req.Fields)
	}
	if got := httpadapter.FieldsParam(url.Values{"_fields": {"a", "b,c"}}); strings.Join(got, "|") != "b|c" {
		t.Errorf("ParseFields = %v, want [b c]", got)
	}
	if got := httpadapter.FieldsParam(url.Values{}); got != nil {
		t.Errorf("ParseFields(none) = %v, want nil", got)
	}
}

func TestParseListQueryTokenAndPaginate(t *testing.T) {
	recs := []domain.Record{
		rec(t, `{"id":"a","last_modified":3,"title":"x"}`),
		rec(t, `{"id":"b","last_modified":2}`),
		rec(t, `{"id":"c","last_modified":1,"title":"y"}`),
	}
	req, err := parse(t, "_sort=title&_limit=2", httpadapter.ListQueryOptions{})
	if err != nil {
		t.Fatalf("ParseListQuery: %v", err)
	}
	page, next, err := paginate(recs, req)
	if err != nil || ids(page) != "a,c" || next == "" {
		t.Fatalf("paginate page 1 = %s, %q, %v; want a,c and a token", ids(page), next, err)
	}
	req2, err := parse(t, "_sort=title&_limit=2&_token="+url.QueryEscape(next), httpadapter.ListQueryOptions{})
	if err != nil {
		t.Fatalf("ParseListQuery(page 2): %v", err)
	}
	page, next, err = paginate(recs, req2)
	if err != nil || ids(page) != "b" || next != "" {
		t.Errorf("paginate page 2 = %s, %q, %v; want b and no token", ids(page), next, err)
	}
	// A token of another sort is refused.
	_, err = parse(t, "_sort=-title&_token="+url.QueryEscape(mustToken(t, req.Sort)), httpadapter.ListQueryOptions{})
	wantIssue(t, "ParseListQuery(token of another sort)", err, "", "_token has invalid content")
	if _, err := parse(t, "_sort=title&_token="+url.QueryEscape(mustToken(t, req.Sort)), httpadapter.ListQueryOptions{}); err != nil {
		t.Errorf("ParseListQuery(token of the same sort): %v", err)
	}
}

// paginate serves one page of recs for req as the server does: the engine
// fetches one object more than the page (app.Engine.List), the page ends at
// the limit, and its last object's cursor becomes the next page's _token
// (empty on the last page).
func paginate(recs []domain.Record, req httpadapter.ListQuery) (page []domain.Record, next string, err error) {
	q := domain.Query{Filters: req.Filters, Sort: req.Sort, Limit: req.Limit + 1, After: req.After, WithDeleted: req.WithDeleted}
	page = domain.Select(recs, q)
	if len(page) <= req.Limit {
		return page, "", nil
	}
	page = page[:req.Limit]
	next, err = httpadapter.EncodePageToken(req.Sort, domain.CursorOf(page[len(page)-1], req.Sort))
	return page, next, err
}

func mustToken(t *testing.T, sorts []domain.Sort) string {
	t.Helper()
	after := make([]domain.SortValue, len(sorts))
	for i := range after {
		after[i] = domain.SortValue{Value: j(t, `1`)}
	}
	tok, err := httpadapter.EncodePageToken(sorts, after)
	if err != nil {
		t.Fatalf("EncodePageToken: %v", err)
	}
	return tok
}

// Every timestamp the server can hand out (proposals are capped at an hour
// ahead, far below the day Kinto's bound allows) is accepted by every
// timestamp parameter, bare or quoted.
func TestParseListQueryAcceptsServerTimestamps(t *testing.T) {
	for _, ts := range []int64{0, 1, testNow, testNow + 3600*1000, testNow + 24*3600*1000 - 1} {
		n := fmt.Sprint(ts)
		for _, qs := range []string{"_since=" + n, "_before=" + n, "_to=" + n, "last_modified=" + n,
			`_since="` + n + `"`, "gt_last_modified=" + n, `lt_last_modified="` + n + `"`, "min_last_modified=" + n + ".0"} {
			req, err := parse(t, qs, httpadapter.ListQueryOptions{})
			if err != nil || len(req.Filters) != 1 || fmt.Sprint(req.Filters[0].Value) != n {
				t.Errorf("ParseListQuery(%q) = %+v, %v; want one filter on %s", qs, req.Filters, err, n)
			}
		}
	}
}

// _limit takes Kinto's whole range, 2**63 included, capped as any limit.
func TestParseListQueryLimitUpToKintoMaximum(t *testing.T) {
	for _, qs := range []string{"_limit=9223372036854775807", "_limit=9223372036854775808", "_limit=9.2e18"} {
		req, err := parse(t, qs, httpadapter.ListQueryOptions{MaxFetchSize: 50})
		if err != nil || req.Limit != 50 {
			t.Errorf("ParseListQuery(%q) limit %d, %v; want the maximum 50", qs, req.Limit, err)
		}
	}
}

func TestParseListQueryCaps(t *testing.T) {
	fields := func(n int) string {
		f := make([]string, n)
		for i := range f {
			f[i] = fmt.Sprintf("-f%02d", i)
		}
		return strings.Join(f, ",")
	}
	req, err := parse(t, "_sort="+fields(domain.MaxSortFields), httpadapter.ListQueryOptions{})
	if err != nil || len(req.Sort) != domain.MaxSortFields+1 {
		t.Errorf("ParseListQuery(%d sort fields): %d sorts, %v; want them all and last_modified", domain.MaxSortFields, len(req.Sort), err)
	}
	_, err = parse(t, "_sort="+fields(domain.MaxSortFields+1), httpadapter.ListQueryOptions{})
	wantIssue(t, "ParseListQuery(too many sort fields)", err, "_sort",
		fmt.Sprintf("Too many sort fields: _sort takes at most %d", domain.MaxSortFields))

	filters := func(n int) string {
		f := make([]string, n)
		for i := range f {
			f[i] = fmt.Sprintf("f%02d=1", i)
		}
		return strings.Join(f, "&")
	}
	req, err = parse(t, filters(domain.MaxFilters-1)+"&_since=1&_limit=2&_sort=f01", httpadapter.ListQueryOptions{})
	if err != nil || len(req.Filters) != domain.MaxFilters {
		t.Errorf("ParseListQuery(%d filters): %d filters, %v; want them all", domain.MaxFilters, len(req.Filters), err)
	}
	_, err = parse(t, filters(domain.MaxFilters)+"&_since=1", httpadapter.ListQueryOptions{})
	wantIssue(t, "ParseListQuery(too many filters)", err, "f63",
		fmt.Sprintf("Too many filters: at most %d filter parameters per request", domain.MaxFilters))
}

// j decodes one JSON value with json.Number numbers, as every layer does.
func j(t testing.TB, s string) any { t.Helper(); return domaintest.JSON(t, s) }

// rec builds a record from its protocol JSON form; {"id", "last_modified",
// "deleted": true} alone is a tombstone.
func rec(t testing.TB, s string) domain.Record { t.Helper(); return domaintest.Record(t, s) }

// asJSON renders a value for failure messages and comparisons.
func asJSON(t testing.TB, v any) string { t.Helper(); return domaintest.Marshal(t, v) }

// ids lists the ids of recs, comma-separated.
func ids(recs []domain.Record) string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return strings.Join(out, ",")
}
