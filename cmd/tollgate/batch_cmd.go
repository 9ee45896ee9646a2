package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate/batch"
	"github.com/tollgate-mcp/tollgate/tools"
)

// batchOptions are the flags of tollgate batch.
type batchOptions struct {
	stack       stackFlags
	in, out     string
	concurrency int
	crawl       string
	crawlArgs   string
	maxPages    int
	maxFailures int // -1: never stop
	every       time.Duration
	logLevel    string
}

func newBatchCmd(c *cli) *cobra.Command {
	o := &batchOptions{stack: stackFlags{getenv: c.getenv, allTools: true}, concurrency: batch.DefaultConcurrency,
		maxFailures: batch.DefaultMaxConsecutiveFailures, every: 2 * time.Second}
	cmd := &cobra.Command{
		Use:     "batch --in calls.jsonl --out results.jsonl [flags]",
		GroupID: cmdGroupRun,
		Short:   "Run JSONL tool calls under a credit cap, resumably",
		Long: `Run tool calls under a credit cap, writing one JSON line per result as it
arrives. Run the same command again to resume: ids already in --out are
skipped, and a run that was killed (even with SIGKILL) loses nothing.

Input (--in, "-" for stdin): one call per line,
  {"id": "a1", "tool": "search_ads", "args": {"search": "coffee", "limit": 20}}
ids are unique strings or numbers. The whole input is checked before any
call: malformed lines, repeated ids, unknown tools (with the nearest names)
and arguments that do not match the tool's schema, in one report (exit 2).

--crawl TOOL follows one list tool's pages (nextPage) from --args to the end
or to the cap, one page at a time; its ids are TOOL#p1, TOOL#p2, ...

Output (--out), in completion order:
  {"id": "a1", "tool": "search_ads", "ok": true, "result": {...}}
  {"id": 7, "tool": "get_ad", "ok": false, "error": {...advice...}, "budget": {...}}
Written (done): successes, and failures that are final (400 validation, 403,
404), with their advice. Not written, so made again by the next run: budget
halts, retryable failures that outlived the retries (429, 5xx, network),
credential failures, and calls never started.

Budget: --max-credits caps each run (a resumed run may spend up to it
again). No call exceeds the cap, the --reserve floor or the balance: when
the next call does not fit in full, the batch stops scheduling, lets the
calls in flight finish and exits 3 with a summary and the command to resume.
Ctrl-C does the same (exit 1): calls in flight finish and are written.

Exit codes: 0 every id done; 1 ids left after failures or an interruption;
2 bad flags or input; 3 stopped by the budget (cap, floor, empty workspace,
or a shared budget whose Redis does not answer).

Reads ` + envAPIKey + ` and ` + envBaseURL + `, or use --sandbox.`,
		Example: `  # 30 sample calls against the sandbox, at most 100 credits
  tollgate batch --sandbox --in examples/batch/calls.jsonl --out results.jsonl --max-credits 100

  # The same command again resumes where the last run stopped
  tollgate batch --sandbox --in examples/batch/calls.jsonl --out results.jsonl --max-credits 100

  # Follow every page of a search, 50 rows a page, up to 500 credits
  tollgate batch --crawl search_ads --args '{"search":"coffee","limit":50}' --out pages.jsonl --max-credits 500

  # Calls from stdin, two at a time, paced to 5 requests a second
  cat calls.jsonl | tollgate batch --in - --out results.jsonl --concurrency 2 --rate 5`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.stack.check(cmd.Flags()); err != nil {
				return err
			}
			return runBatch(cmd.Context(), c, o)
		},
	}
	addGroup(cmd, groupBatch, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.in, "in", "", "JSONL `FILE` of calls, one {\"id\", \"tool\", \"args\"} object per line (- reads stdin)")
		fs.StringVar(&o.out, "out", "", "JSONL `FILE` of results, resumed if it exists (required)")
		fs.Var(&intValue[int]{p: &o.concurrency, min: 1, max: 256, want: "a number of calls from 1 to 256", typ: "N"},
			"concurrency", "calls in flight at once (--in)")
		fs.StringVar(&o.crawl, "crawl", "", "instead of --in: follow the list `TOOL`'s pagination to the end or to the cap")
		fs.StringVar(&o.crawlArgs, "args", "", "with --crawl: the first page's arguments, a `JSON` object")
		fs.Var(&intValue[int]{p: &o.maxPages, min: 1, want: "a number of pages, 1 or more (leave --max-pages out for no limit)", typ: "N",
			why: func(n int64) string {
				if n == 0 {
					return "0 no longer means no limit: leave --max-pages out for no limit, or give a number of pages, 1 or more"
				}
				return ""
			}},
			"max-pages", "with --crawl: stop after this many pages (default: no limit)")
		fs.Var(&intValue[int]{p: &o.maxFailures, min: 1, word: "none", wordVal: -1,
			want: "a number of failures, 1 or more, or none to never stop", typ: "N|none",
			why: func(n int64) string {
				if n == 0 {
					return "0 no longer means never: give none to never stop, or a number of failures, 1 or more"
				}
				return ""
			}},
			"max-failures", "stop after this many retryable failures in a row; none: never")
	})
	_ = cmd.RegisterFlagCompletionFunc("crawl", completeWith(func() []string {
		return toolNames(func(t *tools.Tool) bool { return t.Paging != tools.PagingNone })
	}))
	_ = cmd.MarkFlagFilename("in", "jsonl", "json")
	_ = cmd.MarkFlagFilename("out", "jsonl", "json")
	o.stack.addStackFlags(cmd, stackParts{sandboxRate: true, perCall: true, pacing: true, tools: true})
	// Results go to a file, not into a model's context: rows that were
	// paid for are not cut.
	o.stack.maxResult = batchMaxResultBytes
	cmd.Flags().Lookup("max-result-bytes").DefValue = strconv.Itoa(batchMaxResultBytes)
	addLogLevel(cmd, &o.logLevel)
	addGroup(cmd, groupOutput, func(fs *pflag.FlagSet) {
		fs.Var(&durationValue{p: &o.every, want: "a duration of 0 (never) or more, e.g. 5s"}, "progress-every",
			"when stderr is not a terminal: print a progress line this often (0: never)")
	})
	return cmd
}
