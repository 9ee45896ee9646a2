package sandbox

import (
	"net/http"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// envelope wraps a handler's result as the operation's Response.Shape says,
// pages collections as its Paging says, and returns the body and the
// credits the answer costs under its Cost model.
func envelope(c *call, res result) (body any, cost int64) {
	o := c.op
	switch o.Response.Shape {
	case apispec.ShapeRaw:
		return nil, 0
	case apispec.ShapeRoot:
		return res.item, charge(o, 1)
	case apispec.ShapeItem:
		m := map[string]any{"data": res.item, "requestId": c.reqID}
		addExtra(m, res)
		return m, charge(o, 1)
	}
	data, pg := page(c, res)
	m := map[string]any{"data": data, "requestId": c.reqID}
	if pg != nil {
		m["pagination"] = pg
	}
	if o.Response.Meta != "" {
		m["meta"] = res.meta
	}
	addExtra(m, res)
	return m, charge(o, len(data))
}

func addExtra(m map[string]any, res result) {
	for k, v := range res.extra {
		m[k] = v
	}
	if res.created != nil {
		m["created"] = *res.created
	}
}

// charge is what an answer of n rows (or series) costs.
func charge(o *apispec.Operation, n int) int64 {
	switch o.Cost.Model {
	case apispec.CostPerRow, apispec.CostPerSeries:
		return int64(n)
	case apispec.CostPerItem:
		return 1
	case apispec.CostFixed:
		return o.Cost.Max
	}
	return 0
}

// page returns the rows of the requested page and its pagination object
// (nil for operations that do not page). A page or offset past the end is
// empty. Operations without paging but with a limit answer the first limit
// rows.
func page(c *call, res result) ([]any, any) {
	o, r := c.op, res.rows
	if r == nil {
		r = &rows{}
	}
	lo, hi := 0, r.n
	var pg any
	switch o.Paging {
	case apispec.PagingPage:
		if res.pagination != nil {
			pg = res.pagination
			break
		}
		limit, pageNo := c.v.int("limit"), c.v.int("page")
		total := int64(r.n)
		pages := (total + limit - 1) / limit
		pg = apispec.PagePagination{Page: pageNo, Limit: limit, Total: total, TotalPages: pages}
		if pageNo-1 >= pages {
			lo, hi = 0, 0
			break
		}
		lo = int((pageNo - 1) * limit)
		hi = min(r.n, lo+int(limit))
	case apispec.PagingOffset:
		limit, offset := c.v.int("limit"), c.v.int("offset")
		pg = apispec.OffsetPagination{Limit: limit, Offset: offset, Total: int64(r.n)}
		if offset >= int64(r.n) {
			lo, hi = 0, 0
			break
		}
		lo = int(offset)
		hi = min(r.n, lo+int(limit))
	default:
		if o.Cost.LimitParam != "" {
			hi = min(r.n, int(c.v.int(o.Cost.LimitParam)))
		}
	}
	data := make([]any, 0, hi-lo)
	for i := lo; i < hi; i++ {
		data = append(data, r.at(i))
	}
	return data, pg
}

// writeBody writes a success: the status the operation documents (200
// for an upsert that created nothing), and the body.
func writeBody(w http.ResponseWriter, c *call, res result, body any) {
	status := res.status
	if status == 0 {
		status = c.op.Response.Status
	}
	if res.created != nil && !*res.created {
		status = http.StatusOK
	}
	if status == 0 {
		status = http.StatusOK
	}
	if c.op.Response.Shape == apispec.ShapeRaw {
		ct := c.op.Response.ContentType
		if ct == "application/json" || ct == "text/html" {
			ct += "; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = w.Write(res.raw)
		return
	}
	writeJSON(w, status, body)
}
