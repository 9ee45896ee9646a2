package sandbox

import (
	"html"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

func init() {
	handle(map[string]handler{
		"queryEmails":          handleQueryEmails,
		"getEmail":             handleGetEmail,
		"getEmailHtml":         handleEmailHTML,
		"listShopEmails":       handleShopEmails,
		"getShopEmailStats":    handleEmailStats,
		"listCategoryFacets":   facetHandler("category"),
		"listShopifyAppFacets": facetHandler("shopify_app"),
		"listTechnologyFacets": facetHandler(""),
		"listPixelFacets":      facetHandler("pixel"),
		"listThemeFacets":      facetHandler("theme"),
	})
}

func emailRows(es []*email) *rows {
	return mapRows(es, func(e *email) apispec.Email { return e.row })
}

// filterEmails applies the email filters, keeping the order (newest first).
func filterEmails(v values, src []*email) []*email {
	terms := lowerTerms(v.strs("search")...)
	shops, domains := v.strs("shopIds"), v.strs("domains")
	types, langs := v.strs("types"), lowerTerms(v.strs("languages")...)
	after, hasAfter := v.time("sentAfter")
	before, hasBefore := v.time("sentBefore")
	disc, hasDisc := v.boolean("hasDiscount")
	var out []*email
	for _, e := range src {
		switch {
		case len(shops) > 0 && !contains(shops, e.row.ShopID),
			len(domains) > 0 && normalizeDomainsOf(domains, e.row.Domain) == "",
			len(types) > 0 && !contains(types, e.row.Type), len(langs) > 0 && !contains(langs, e.row.Language),
			hasAfter && e.sent.Before(after), hasBefore && e.sent.After(before), hasDisc && e.row.HasDiscount != disc,
			len(terms) > 0 && matchTerms(terms, false, e.text) == 0:
			continue
		}
		out = append(out, e)
	}
	return out
}

// normalizeDomainsOf returns domain if one of ds names it (ignoring scheme
// and www.), else "".
func normalizeDomainsOf(ds []string, domain string) string {
	for _, d := range ds {
		if normalizeDomain(d) == domain {
			return d
		}
	}
	return ""
}

func handleQueryEmails(c *call) (result, *apiError) {
	es := filterEmails(c.v, c.data().emails)
	terms := lowerTerms(c.v.strs("search")...)
	if c.v.str("sortBy") == "relevance" && len(terms) > 0 {
		sortRows(es, false, func(e *email) int { return matchTerms(terms, false, e.text) }, func(e *email) string { return e.row.ID })
	} else if c.v.str("order") == "asc" {
		es = reversed(es)
	}
	return result{rows: emailRows(es)}, nil
}

func reversed[T any](xs []T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

func (c *call) email() (*email, *apiError) {
	e := c.data().emailByID[c.path["emailId"]]
	if e == nil {
		return nil, notFound("No email with id %q; find emails with POST /v1/emails/query.", c.path["emailId"])
	}
	return e, nil
}

func handleGetEmail(c *call) (result, *apiError) {
	e, err := c.email()
	if err != nil {
		return result{}, err
	}
	return result{item: apispec.EmailDetail{Email: e.row, TextBody: e.body, Links: e.links, ImagesCount: 2 + len(e.row.ID)%4}}, nil
}

func handleEmailHTML(c *call) (result, *apiError) {
	e, err := c.email()
	if err != nil {
		return result{}, err
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>")
	b.WriteString(html.EscapeString(e.row.Subject))
	b.WriteString("</title></head><body>")
	for _, p := range strings.Split(e.body, "\n\n") {
		b.WriteString("<p>" + html.EscapeString(p) + "</p>")
	}
	for _, l := range e.links {
		b.WriteString(`<a href="` + html.EscapeString(l.URL) + `">` + html.EscapeString(l.Text) + "</a> ")
	}
	b.WriteString("</body></html>")
	return result{item: apispec.EmailHTML{EmailID: e.row.ID, HTML: b.String()}}, nil
}

func handleShopEmails(c *call) (result, *apiError) {
	sh, e := c.shop("shopId")
	if e != nil {
		return result{}, e
	}
	es := filterEmails(c.v, c.data().emailsByShop[sh.id])
	if c.v.str("order") == "asc" {
		es = reversed(es)
	}
	return result{rows: emailRows(es)}, nil
}

var weekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

func handleEmailStats(c *call) (result, *apiError) {
	sh, e := c.shop("shopId")
	if e != nil {
		return result{}, e
	}
	month := c.v.str("month")
	out := apispec.EmailStats{ShopID: sh.id, Month: month, ByType: map[string]int64{}, ByWeekday: make([]apispec.WeekdayCount, 7)}
	for i, w := range weekdays {
		out.ByWeekday[i].Weekday = w
	}
	for _, t := range []string{"promotional", "newsletter", "welcome", "abandoned_cart", "transactional"} {
		out.ByType[t] = 0
	}
	for _, em := range c.data().emailsByShop[sh.id] {
		if em.sent.UTC().Format("2006-01") != month {
			continue
		}
		out.TotalEmails++
		out.ByType[em.row.Type]++
		if em.row.HasDiscount {
			out.WithDiscount++
		}
		out.ByWeekday[(int(em.sent.UTC().Weekday())+6)%7].Count++
	}
	return result{item: out}, nil
}

// facetHandler serves one facet kind; "" serves technologies (themes,
// apps and pixels together).
func facetHandler(kind string) handler {
	return func(c *call) (result, *apiError) {
		d := c.data()
		var fs []apispec.Facet
		if kind == "" {
			for _, k := range []string{"theme", "shopify_app", "pixel"} {
				fs = append(fs, d.facets(k)...)
			}
			sortRows(fs, false, func(f apispec.Facet) int64 { return f.ShopsCount }, func(f apispec.Facet) string { return itoa(f.ID) })
		} else {
			fs = d.facets(kind)
		}
		if s := strings.ToLower(c.v.str("search")); s != "" {
			var kept []apispec.Facet
			for _, f := range fs {
				if strings.Contains(strings.ToLower(f.Name), s) {
					kept = append(kept, f)
				}
			}
			fs = kept
		}
		return result{rows: rowsOf(fs)}, nil
	}
}
