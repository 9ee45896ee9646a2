package runtime_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// TestMeteringFromSandbox reads the metering headers of real responses:
// metered rows drawn from each credit bucket, a free route (absent), the
// usage route (a present zero) and an error (absent).
func TestMeteringFromSandbox(t *testing.T) {
	t.Parallel()
	advertisers := func(limit string) *runtime.Request {
		r := get("/v1/advertisers")
		r.Query = url.Values{"limit": {limit}}
		return r
	}
	absent := runtime.Count{}
	tests := []struct {
		name    string
		credits sandbox.Credits
		req     *runtime.Request
		cost    runtime.Count
		remain  runtime.Count
		source  string
		metered bool
		errCode string
	}{
		{name: "recurring", req: advertisers("5"), cost: runtime.Known(5), remain: runtime.Known(9995), source: "recurring", metered: true},
		{name: "hybrid", credits: sandbox.Credits{Recurring: 2, Topup: 10}, req: advertisers("5"), cost: runtime.Known(5), remain: runtime.Known(7), source: "hybrid", metered: true},
		{name: "topup", credits: sandbox.Credits{Recurring: 0, Topup: 10}, req: advertisers("5"), cost: runtime.Known(5), remain: runtime.Known(5), source: "topup", metered: true},
		{name: "free route", req: get("/v1/me"), cost: absent, remain: absent},
		{name: "usage is a present zero", req: get("/v1/usage"), cost: runtime.Known(0), remain: runtime.Known(10000), metered: true},
		{name: "error", req: &runtime.Request{Path: "/v1/ads/{id}", PathParams: map[string]string{"id": "nope"}}, cost: absent, remain: absent, errCode: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{})
			if tt.credits != (sandbox.Credits{}) {
				e.sb.SetCredits(sandbox.DemoKey, tt.credits)
			}
			resp, err := e.client().Do(context.Background(), tt.req)
			var m runtime.Metering
			if tt.errCode != "" {
				ae := mustAPIError(t, err)
				if ae.Code != tt.errCode {
					t.Fatalf("code %s; want %s", ae.Code, tt.errCode)
				}
				m = ae.Metering
			} else {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				m = resp.Metering
			}
			if m.Cost() != tt.cost || m.UsageCost != tt.cost || m.CreditsUsed != tt.cost || m.CreditsRemaining != tt.remain ||
				m.CreditsSource != tt.source || m.Metered() != tt.metered {
				t.Errorf("metering %+v (cost %v, metered %v); want cost %v, remaining %v, source %q, metered %v",
					m, m.Cost(), m.Metered(), tt.cost, tt.remain, tt.source, tt.metered)
			}
			if !strings.HasPrefix(m.RequestID, "req_") {
				t.Errorf("RequestID %q; every sandbox answer has one", m.RequestID)
			}
			obs := e.obs.Responses()
			if len(obs) != 1 || obs[0].metering != m {
				t.Errorf("observer saw %+v; want one response with %+v", obs, m)
			}
		})
	}
}

// TestGarbageMeteringIgnored: values that are not believable non-negative
// integers are absent, not zero, on a real response.
func TestGarbageMeteringIgnored(t *testing.T) {
	t.Parallel()
	ts, _ := plainServer(t, reply(200, map[string]string{
		"X-Usage-Cost":        "twelve",
		"X-Credits-Used":      "-3",
		"X-Credits-Remaining": "99999999999999999999",
		"X-Credits-Source":    "cash",
		"X-Request-Id":        "req with spaces",
	}, `{"data":[]}`))
	obs := &recorder{}
	resp, err := newClient(t, ts, newFakeClock(), runtime.WithObserver(obs)).Do(context.Background(), get("/v1/ads"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Metering != (runtime.Metering{}) || resp.Metering.Metered() || resp.RequestID != "" {
		t.Errorf("metering %+v, request id %q; want everything absent", resp.Metering, resp.RequestID)
	}
	if got := obs.Responses(); len(got) != 1 || got[0].metering != (runtime.Metering{}) {
		t.Errorf("observer saw %+v", got)
	}
}

func TestParseMetering(t *testing.T) {
	t.Parallel()
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	long := "req_" + strings.Repeat("A", 200)
	tests := []struct {
		name string
		h    http.Header
		want runtime.Metering
	}{
		{"nil header", nil, runtime.Metering{}},
		{"all present", h("X-Usage-Cost", "12", "X-Credits-Used", "12", "X-Credits-Remaining", "9872", "X-Credits-Source", "recurring", "X-Request-Id", "req_01HZ"),
			runtime.Metering{UsageCost: runtime.Known(12), CreditsUsed: runtime.Known(12), CreditsRemaining: runtime.Known(9872), CreditsSource: "recurring", RequestID: "req_01HZ"}},
		{"zeros are present", h("X-Usage-Cost", "0", "X-Credits-Used", "0", "X-Credits-Remaining", "0"),
			runtime.Metering{UsageCost: runtime.Known(0), CreditsUsed: runtime.Known(0), CreditsRemaining: runtime.Known(0)}},
		{"spaces trimmed, source case folded", h("X-Usage-Cost", " 7 ", "X-Credits-Source", " HYBRID "),
			runtime.Metering{UsageCost: runtime.Known(7), CreditsSource: "hybrid"}},
		{"topup", h("X-Credits-Source", "topup"), runtime.Metering{CreditsSource: "topup"}},
		{"credits used alone is the cost", h("X-Credits-Used", "4"), runtime.Metering{CreditsUsed: runtime.Known(4)}},
		{"non-numeric", h("X-Usage-Cost", "abc", "X-Credits-Used", "1.5", "X-Credits-Remaining", "1e3"), runtime.Metering{}},
		{"negative", h("X-Usage-Cost", "-1", "X-Credits-Remaining", "-0x10"), runtime.Metering{}},
		{"overflow", h("X-Usage-Cost", "99999999999999999999", "X-Credits-Remaining", "9223372036854775808"), runtime.Metering{}},
		{"above 2^53", h("X-Credits-Remaining", "9007199254740993"), runtime.Metering{}},
		{"2^53", h("X-Credits-Remaining", "9007199254740992"), runtime.Metering{CreditsRemaining: runtime.Known(1 << 53)}},
		{"empty values", h("X-Usage-Cost", "", "X-Credits-Source", "", "X-Request-Id", " "), runtime.Metering{}},
		{"unknown source", h("X-Credits-Source", "cash"), runtime.Metering{}},
		{"long request id cut", h("X-Request-Id", long), runtime.Metering{RequestID: long[:128]}},
		{"unprintable request id dropped", http.Header{"X-Request-Id": {"req_\x7f"}}, runtime.Metering{}},
	}
	for _, tt := range tests {
		got := runtime.ParseMetering(tt.h)
		if got != tt.want {
			t.Errorf("%s: ParseMetering = %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

func TestMeteringHelpers(t *testing.T) {
	t.Parallel()
	if got := (runtime.Metering{UsageCost: runtime.Known(3), CreditsUsed: runtime.Known(9)}).Cost(); got != runtime.Known(3) {
		t.Errorf("Cost prefers X-Usage-Cost: got %v", got)
	}
	if got := (runtime.Metering{CreditsUsed: runtime.Known(9)}).Cost(); got != runtime.Known(9) {
		t.Errorf("Cost falls back to X-Credits-Used: got %v", got)
	}
	if (runtime.Metering{CreditsSource: "recurring", RequestID: "r"}).Metered() {
		t.Error("Metered without a credit count")
	}
	if s := (runtime.Count{}).String(); s != "absent" {
		t.Errorf("absent Count prints %q", s)
	}
	if s := runtime.Known(0).String(); s != "0" {
		t.Errorf("Known(0) prints %q", s)
	}
	if runtime.Known(0) == (runtime.Count{}) {
		t.Error("a present zero equals absent")
	}
}

// TestObservers: client observers and per-call observers see every
// response, retries included, and every wait; a per-call observer sees
// only its own calls.
func TestObservers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 2})
	second := &recorder{}
	c := e.client(runtime.WithObserver(second))

	call, inner := &recorder{}, &recorder{}
	ctx := runtime.WithCallObserver(runtime.WithCallObserver(context.Background(), call), inner)
	r := get("/v1/advertisers")
	r.Query = url.Values{"limit": {"2"}}
	resp, err := c.Do(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 3 {
		t.Errorf("Attempts = %d; want 3", resp.Attempts)
	}
	for name, rec := range map[string]*recorder{"client": e.obs, "second client": second, "call": call, "nested call": inner} {
		if got := rec.Statuses(); !reflect.DeepEqual(got, []int{500, 500, 200}) {
			t.Errorf("%s observer saw statuses %v; want [500 500 200]", name, got)
			continue
		}
		resps := rec.Responses()
		if resps[2].metering != resp.Metering || resps[2].metering.Cost() != runtime.Known(2) || resps[0].metering.Metered() {
			t.Errorf("%s observer saw metering %+v", name, resps)
		}
		for _, o := range resps {
			if o.op != r.Operation {
				t.Errorf("%s observer saw operation %q; want %q", name, o.op, r.Operation)
			}
		}
		waits := rec.Waits()
		if len(waits) != 2 || waits[0].Reason != runtime.CodeInternalError || waits[1].Attempt != 2 {
			t.Errorf("%s observer saw waits %+v", name, waits)
		}
	}

	// A call without the per-call context reaches only the client's observers.
	if _, err := c.Do(context.Background(), get("/v1/me")); err != nil {
		t.Fatal(err)
	}
	if n := len(e.obs.Responses()); n != 4 {
		t.Errorf("client observer saw %d responses; want 4", n)
	}
	if n := len(call.Responses()); n != 3 {
		t.Errorf("call observer saw %d responses; want only its call's 3", n)
	}
}

func TestNilObserversIgnored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError})
	ctx := runtime.WithCallObserver(context.Background(), nil)
	if _, err := e.client(runtime.WithObserver(nil)).Do(ctx, get("/v1/me")); err != nil {
		t.Fatal(err)
	}
}

func TestObserverFuncs(t *testing.T) {
	t.Parallel()
	var statuses []int
	var waits []runtime.Wait
	o := runtime.ObserverFuncs{
		Response: func(_ context.Context, _ *runtime.Request, status int, _ runtime.Metering) {
			statuses = append(statuses, status)
		},
		Wait: func(_ context.Context, _ *runtime.Request, w runtime.Wait) { waits = append(waits, w) },
	}
	e := newEnv(t, sandbox.Config{})
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: "3"})
	if _, err := e.client(runtime.WithObserver(o)).Do(context.Background(), get("/v1/me")); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(statuses, []int{429, 200}) || len(waits) != 1 || waits[0].Status != 429 {
		t.Errorf("ObserverFuncs saw %v and %+v", statuses, waits)
	}
	// Nil funcs are skipped.
	var empty runtime.ObserverFuncs
	empty.ObserveResponse(context.Background(), get("/v1/me"), 200, runtime.Metering{})
	empty.ObserveWait(context.Background(), get("/v1/me"), runtime.Wait{})
}
