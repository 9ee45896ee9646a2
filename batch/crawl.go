package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// CrawlID is the id of a crawl's page: "<tool>#p<page>", e.g.
// "search_ads#p3" (a JSON string).
func CrawlID(tool string, page int) json.RawMessage {
	b, _ := json.Marshal(tool + "#p" + strconv.Itoa(page))
	return b
}

// Crawl follows the pagination of one list tool: it calls tool with args
// (page 1), writes the page to out as "<tool>#p1", calls it again with
// the result's nextPage arguments as "<tool>#p2", and so on until a page
// has no next one, opts.MaxPages is reached, the budget halts a call or
// ctx is cancelled. Pages are fetched one at a time; opts.Concurrency is
// not used.
//
// If out already holds pages of the same crawl (same tool, same args on
// page 1), Crawl resumes after the last of them, from its nextPage. An
// output holding anything else is an *OutputError. A tool that does not
// page, or that the toolbox does not offer, is an *InputError. Like Run,
// Crawl never lets the budget shrink a page: the page is made in full or
// not at all, so a resumed crawl goes on with the same limit.
func Crawl(ctx context.Context, box *tools.Toolbox, tool string, args map[string]any, out *Output, opts Options) (Summary, error) {
	if box == nil || out == nil {
		return Summary{}, errors.New("batch: Crawl needs a toolbox and an output")
	}
	if err := CheckCrawl(box.Catalogue(), tool); err != nil {
		return Summary{}, err
	}
	if args == nil {
		args = map[string]any{}
	}
	r := newRunner(ctx, box, out, opts)
	page, next, complete, err := resumeCrawl(out, tool, args)
	if err != nil {
		return Summary{}, err
	}
	r.skipped = page - 1
	r.total = r.skipped
	if last := page - 1; last > 0 && !complete {
		if rec, _ := out.Record(CrawlID(tool, last)); rec != nil {
			r.total = max(r.total, pagesOf(rec.Result, last))
		}
	}
	if opts.MaxPages > 0 {
		r.total = min(r.total, opts.MaxPages)
	}
	r.progress()

	for !complete && !r.stopping() {
		if opts.MaxPages > 0 && page > opts.MaxPages {
			complete = true
			break
		}
		if ctx.Err() != nil {
			break
		}
		r.inflight = 1
		r.progress()
		res := r.call(ctx, tool, next)
		r.inflight = 0
		o := Classify(res)
		_, _ = r.handle(CrawlID(tool, page), tool, next, res, r.settled)
		r.sync()
		if r.writeErr != nil {
			break
		}
		switch o {
		case OutcomeOK:
			s, _ := res.Structured.(*tools.Success)
			if s == nil || s.NextPage == nil {
				complete = true
				break
			}
			if sameArgs(s.NextPage, next) {
				r.fatal = &tools.Failure{Error: stuckAdvice(tool, page)}
				page++
				break
			}
			r.total = max(r.total, pagesOfSuccess(s, page), page+1)
			if opts.MaxPages > 0 {
				r.total = min(r.total, opts.MaxPages)
			}
			next = s.NextPage
			page++
		case OutcomeFailed:
			complete = true // a final failure ends the crawl: its next page is unknown
		}
		r.progress()
	}
	s := r.summary()
	done := r.skipped + r.done
	s.Complete = complete
	if complete {
		s.Total = done
	} else {
		s.Total = max(r.total, done+1)
		s.Left = s.Total - done
		s.LeftIDs = []json.RawMessage{CrawlID(tool, page)}
		s.Interrupted = ctx.Err() != nil && r.halt == nil && r.fatal == nil && r.writeErr == nil
	}
	r.total = s.Total
	r.progress()
	return s, r.writeErr
}

// CheckCrawl reports, as an *InputError, a tool that cat does not offer
// or that does not page; nil when tool can be crawled.
func CheckCrawl(cat *tools.Catalogue, tool string) error {
	t, ok := cat.Lookup(tool)
	switch {
	case !ok:
		return &InputError{Problems: []LineError{{Job: -1, Msg: fmt.Sprintf("there is no tool named %q; list tools are: %s", tool, toolNames(cat, pages))}}}
	case t.Paging == tools.PagingNone:
		return &InputError{Problems: []LineError{{Job: -1, Msg: fmt.Sprintf("%s does not page, so there is nothing to crawl; list tools are: %s", tool, toolNames(cat, pages))}}}
	}
	return nil
}

// resumeCrawl reads what out holds of the crawl: the next page's number
// and arguments, or complete.
func resumeCrawl(out *Output, tool string, args map[string]any) (page int, next map[string]any, complete bool, err error) {
	last := 0
	for out.Done(CrawlID(tool, last+1)) {
		last++
	}
	if out.Len() != last {
		return 0, nil, false, &OutputError{Path: out.Path(), Msg: fmt.Sprintf("holds %d results that are not pages 1 to %d of a crawl of %s; use another output file for this crawl", out.Len()-last, last, tool)}
	}
	if last == 0 {
		return 1, args, false, nil
	}
	first, err := out.Record(CrawlID(tool, 1))
	if err != nil {
		return 0, nil, false, err
	}
	if !sameArgs(first.Args, args) {
		was, _ := json.Marshal(orEmpty(first.Args))
		return 0, nil, false, &OutputError{Path: out.Path(), Msg: fmt.Sprintf("holds a crawl of %s with the arguments %s; resume it with those, or use another output file", tool, was)}
	}
	rec, err := out.Record(CrawlID(tool, last))
	if err != nil {
		return 0, nil, false, err
	}
	if !rec.OK {
		return last + 1, nil, true, nil
	}
	var res struct {
		NextPage map[string]any `json:"nextPage"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Result))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		return 0, nil, false, &OutputError{Path: out.Path(), Msg: fmt.Sprintf("the result of page %d cannot be read: %v", last, err)}
	}
	if res.NextPage == nil {
		return last + 1, nil, true, nil
	}
	return last + 1, res.NextPage, false, nil
}

// pagesOf estimates a crawl's pages from the result of page n.
func pagesOf(result json.RawMessage, n int) int {
	var s tools.Success
	if json.Unmarshal(result, &s) != nil {
		return n
	}
	return pagesOfSuccess(&s, n)
}

func pagesOfSuccess(s *tools.Success, n int) int {
	p := s.Pagination
	if p == nil || p.Limit <= 0 {
		return n
	}
	if p.Offset != nil {
		left := p.Total - (*p.Offset + p.Returned)
		return n + max(0, (left+p.Limit-1)/p.Limit)
	}
	if p.TotalPages > 0 {
		return max(n, p.TotalPages)
	}
	return max(n, (p.Total+p.Limit-1)/p.Limit)
}

// sameArgs compares arguments as JSON values.
func sameArgs(a, b map[string]any) bool {
	ja, err1 := json.Marshal(orEmpty(a))
	jb, err2 := json.Marshal(orEmpty(b))
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func stuckAdvice(tool string, page int) runtime.Advice {
	return runtime.Advice{Code: "pagination_stuck", Source: tools.SourceTool,
		Message: fmt.Sprintf("page %d of %s says there is more, but its next page has the same arguments", page, tool),
		Action:  "Stop: the API's pagination does not advance. Report it with the requestId of the last page."}
}

// pages keeps the tools that page: the ones a crawl can follow.
func pages(t *tools.Tool) bool { return t.Paging != tools.PagingNone }
