package mcpserver

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/budget"
)

// Prompts: research workflows a host can offer as commands. Each renders
// a plan whose paid steps are sized to the credits at hand: the smaller
// of the credits argument and what the budget allows now (read from the
// controller; rendering a prompt calls no API).

// Prompt names.
const (
	PromptCompetitorBrief = "competitor_brief"
	PromptAdAngles        = "ad_angles"
	PromptShopTeardown    = "shop_teardown"
)

// defaultPromptCredits sizes a plan when neither the user nor the budget
// bounds it.
const defaultPromptCredits = 60

func (f *face) addPrompts(srv *server.MCPServer) {
	credits := mcp.WithArgument("credits", mcp.ArgumentDescription("The most to spend on this, in credits (default: what the budget allows, at most 60)."))
	srv.AddPrompt(mcp.NewPrompt(PromptCompetitorBrief,
		mcp.WithPromptTitle("Competitor brief"),
		mcp.WithPromptDescription("A brief on one brand's advertising (Facebook, TikTok, Google ads, shop): lookup first, then paid calls sized to the budget."),
		mcp.WithArgument("brand", mcp.ArgumentDescription("The brand: a name, domain, URL or Instagram handle."), mcp.RequiredArgument()),
		credits,
	), f.prompt(competitorBrief, "brand"))
	srv.AddPrompt(mcp.NewPrompt(PromptAdAngles,
		mcp.WithPromptTitle("Ad angles for a market"),
		mcp.WithPromptDescription("The messaging angles advertisers use for a product or market across Facebook, TikTok and Google, with example ads, within a credit budget."),
		mcp.WithArgument("topic", mcp.ArgumentDescription("The product, category or keywords, e.g. 'cold brew coffee'."), mcp.RequiredArgument()),
		credits,
	), f.prompt(adAngles, "topic"))
	srv.AddPrompt(mcp.NewPrompt(PromptShopTeardown,
		mcp.WithPromptTitle("Shop teardown"),
		mcp.WithPromptDescription("One online shop against its closest competitors: traffic, technology, advertising, within a credit budget."),
		mcp.WithArgument("shop", mcp.ArgumentDescription("The shop's domain or URL, e.g. example-shop.com."), mcp.RequiredArgument()),
		credits,
	), f.prompt(shopTeardown, "shop"))
}

// plan renders a workflow for subject with k credits to spend; why says
// where k comes from.
type plan func(subject string, k int64, why string) string

// prompt returns the handler of a workflow whose required argument is
// named subjectArg.
func (f *face) prompt(render plan, subjectArg string) server.PromptHandlerFunc {
	return func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		subject := strings.TrimSpace(req.Params.Arguments[subjectArg])
		if subject == "" {
			return nil, fmt.Errorf("prompt %s needs the argument %q", req.Params.Name, subjectArg)
		}
		asked := int64(0)
		if s := strings.TrimSpace(req.Params.Arguments["credits"]); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("prompt %s: credits %q is not a positive whole number", req.Params.Name, s)
			}
			asked = n
		}
		k, why := f.promptCredits(ctx, asked)
		text := render(subject, k, why)
		if f.o.Mode == ModeDynamic {
			text += "\n\nThe tools named above are operations of this server: run each with call_operation (describe_operation gives its arguments)."
		}
		return mcp.NewGetPromptResult(fmt.Sprintf("%s: %s (%d credits)", req.Params.Name, subject, k),
			[]mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text))}), nil
	}
}

// promptCredits is what a plan may spend: the credits asked, bounded by
// what the budget allows now.
func (f *face) promptCredits(ctx context.Context, asked int64) (int64, string) {
	avail := int64(-1)
	if st := f.boxFor(ctx).BudgetSnapshot(ctx).Budget; st != nil && st.Available != budget.NoLimit {
		avail = st.Available
	}
	switch {
	case avail >= 0 && asked > 0 && asked <= avail:
		return asked, fmt.Sprintf("you asked for %d; the budget allows %d now", asked, avail)
	case avail >= 0 && asked > 0:
		return avail, fmt.Sprintf("you asked for %d but the budget allows only %d now", asked, avail)
	case avail >= 0:
		k := min(avail, defaultPromptCredits)
		return k, fmt.Sprintf("the budget allows %d now", avail)
	case asked > 0:
		return asked, "as you asked; nothing else caps this session"
	}
	return defaultPromptCredits, "a default; nothing caps this session"
}

// split shares k credits between paid steps by weight, each at least 1
// and at most 100 rows (the API's largest limit), after fixed credits for
// per-item calls.
func split(k, fixed int64, weights ...int64) []int64 {
	out := make([]int64, len(weights))
	left := max(0, k-fixed)
	var total int64
	for _, w := range weights {
		total += w
	}
	for i, w := range weights {
		out[i] = min(100, max(1, left*w/total))
	}
	return out
}

const budgetRules = `Rules for the credits:
- Paid tools cost 1 credit per row (limit) or per item; lookup, get_budget and estimate_cost are free. Keep every limit at or below the numbers above.
- If a result says "limit lowered", carry on with the rows you got. If a call fails with source "budget" (or code spend_declined), do not retry it: write the result from what you have, and say what is missing.
- Follow nextPage only if the plan's credits allow it; call get_budget if unsure.`

func competitorBrief(brand string, k int64, why string) string {
	n := split(k, 2, 5, 3, 2)
	return fmt.Sprintf(`Write a competitor brief on %q from TrendTrack data.

Spend at most %d credits (%s).

Plan:
1. lookup with q=%q (free). Pick the best match; note its advertiser, shop and brandtracker ids. If nothing matches, stop and tell me.
2. get_advertiser for the advertiser id (1 credit): pages, linked shops, latest ads.
3. list_advertiser_ads for that advertiser, sorted by reach, limit %d: the ads that carry the brand now.
4. search_tiktok_library by the brand's domain or handle, limit %d.
5. query_google_ads with the brand's domain as search, limit %d.
6. get_shop for the shop id (1 credit): traffic, technology, similar shops.

%s

The brief: who they are (one paragraph); their main messages and offers with two or three example ads each (ad ids, reach, days running); channels and formats; shop traffic and similar shops; what to watch. Use only numbers from the data.`,
		brand, k, why, brand, n[0], n[1], n[2], budgetRules)
}

func adAngles(topic string, k int64, why string) string {
	n := split(k, 0, 5, 3, 2)
	return fmt.Sprintf(`Find the messaging angles advertisers use for %q, across Facebook, TikTok and Google ads.

Spend at most %d credits (%s).

Plan:
1. search_ads with search=%q, sorted by reach, limit %d.
2. search_tiktok_library with search=%q, limit %d.
3. query_google_ads with search=%q, limit %d.
4. If one advertiser dominates, lookup its name (free) and name it in the answer; do not spend more on it.

%s

The answer: five to eight angles (the promise, the proof, the offer), each with how often it appears per platform and two example ads (ad ids, advertiser, reach); then the gaps: angles no one uses.`,
		topic, k, why, topic, n[0], topic, n[1], topic, n[2], budgetRules)
}

func shopTeardown(shop string, k int64, why string) string {
	n := split(k, 3, 1)
	return fmt.Sprintf(`Tear down the online shop %q against its closest competitors.

Spend at most %d credits (%s).

Plan:
1. lookup with q=%q (free) to get the shop id (and its advertiser, if any).
2. get_shop for it (1 credit): traffic, advertising, technology, similar shops.
3. get_shop for the two most similar shops it lists (1 credit each).
4. search_ads with searchType=brand and the shop's domain as search, sorted by reach, limit %d.

%s

The teardown: a table of the three shops (traffic, growth, technology, ad activity), what the shop does better and worse, and three concrete things to try.`,
		shop, k, why, shop, n[0], budgetRules)
}
