package batch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// trickyLines are input lines that a decoder reused from line to line
// must read exactly as a fresh one does: well-formed ones of every shape,
// and malformed ones after which it must start over.
var trickyLines = []string{
	`{"id":1,"tool":"get_budget"}`,
	`{"id":"a","tool":"search_ads","args":{"search":"coffee","limit":20,"x":[1,2.50,{"y":null}],"b":true}}`,
	`  {"id" : 2 , "tool" : "get_ad" , "args" : { "adId" : "facebook_1" } }  `,
	`{"ID":3,"Tool":"get_ad"}`,           // fields match whatever their case
	`{"id":4,"tool":"get_ad","id":5}`,    // the last of a repeated key wins
	`{"id":6,"tool":"get_ad"} {"id":7}`,  // text after the object
	`{"id":8,"tool":"get_ad"`,            // cut short
	`{"id":9,"tool":"get_ad","extra":1}`, // an unknown field
	`{"id":10,"tool":12}`,                // a tool that is not a string
	`{"id":11,"tool":"get_\u0061d","args":{"q":"caf\u00e9 \"x\""}}`,
	"{\"id\":12,\"tool\":\"get_ad\xff\"}",            // invalid UTF-8
	`{"id":13,"tool":"get_ad","args":[1]}`,           // args not an object
	`{"id":14,"tool":"get_ad","args":{"a":1,"a":2}}`, // the last of a repeated argument wins
	`{"id":15,"tool":"get_ad","args":{"n":12345678901234567890123}}`,
	`{"id":null,"tool":"get_ad"}`,
	`{"id":{},"tool":"get_ad"}`,
	`{"id":16,"tool":null}`,
	`{"id":17,"tool":"get_ad","args":null}`,
	`{}`,
	`{"id":18,"tool":"get_ad","args":{"s":"` + strings.Repeat("x", 5000) + `"}}`, // larger than the decoder's buffer
	`{"id":19,"tool":"get_ad","args":{}}`,
	`{"id":20,"tool":"get_ad"}}`,
	`{"id":21,"tool":"get_ad","args":{"a":1}} x`,
	`{"id":22,"tool":"get_ad"}`,
}

func TestAReusedLineDecoderReadsEveryLineAsAFreshOne(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, withArgs := range []bool{true, false} {
		var ld lineDecoder
		// Every line after every other, in random orders: a line must not
		// be read differently for what the decoder read before it.
		for round := range 20 {
			order := r.Perm(len(trickyLines))
			if round == 0 {
				for i := range order {
					order[i] = i
				}
			}
			var kept, wanted []Job // what a reading yields must stay as it was
			for _, i := range order {
				line := []byte(trickyLines[i])
				want, wantOK, wantMsg := parseJob(bytes.Clone(line), i+1, withArgs, nil)
				got, gotOK, gotMsg := parseJob(line, i+1, withArgs, &ld)
				if gotMsg != wantMsg || gotOK != wantOK || !reflect.DeepEqual(got, want) {
					t.Fatalf("withArgs %v, line %q:\n reused: %#v %v %q\n fresh:  %#v %v %q", withArgs, line, got, gotOK, gotMsg, want, wantOK, wantMsg)
				}
				kept, wanted = append(kept, got), append(wanted, want)
			}
			if !reflect.DeepEqual(kept, wanted) {
				t.Fatalf("withArgs %v: the jobs of a reading changed as it read on", withArgs)
			}
		}
	}
}

func TestEachLineYieldsLinesLongerThanItsBuffer(t *testing.T) {
	long := strings.Repeat("y", 200<<10)
	lines := []string{"a\n", long + "\n", "b\n", "\n", strings.Repeat("z", 64<<10) + "\n", "c"}
	var got []string
	err := eachLine(strings.NewReader(strings.Join(lines, "")), func(n int, line []byte) error {
		if n != len(got)+1 {
			t.Errorf("line %d numbered %d", len(got)+1, n)
		}
		got = append(got, string(line))
		return nil
	})
	if err != nil || !reflect.DeepEqual(got, lines) {
		t.Errorf("eachLine: %v; got %d lines, want %d, equal %v", err, len(got), len(lines), reflect.DeepEqual(got, lines))
	}
}

func TestHashSetIsASet(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var s hashSet
	want := map[uint64]bool{}
	for i := range 50000 {
		h := r.Uint64()
		switch i % 5 {
		case 0:
			h = uint64(i % 7) // 0 too, and small values again and again
		case 1:
			h = h &^ 0xffff // hashes that differ in their low bits alone
		}
		if had := s.add(h); had != want[h] {
			t.Fatalf("add(%#x) #%d = %v, want %v", h, i, had, want[h])
		}
		want[h] = true
	}
	if s.n+boolInt(s.zero) != len(want) {
		t.Errorf("set holds %d, want %d", s.n+boolInt(s.zero), len(want))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestAReservedOutputKeepsItsIDs(t *testing.T) {
	hashModes(t, func(t *testing.T) string {
		o, err := OpenOutput(filepath.Join(t.TempDir(), "out.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		write := func(from, to int) {
			for i := from; i < to; i++ {
				if err := o.Write(&Record{ID: json.RawMessage(fmt.Sprint(i)), Tool: "get_budget", OK: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
		write(0, 50)
		o.reserve(500)
		write(50, 300)
		o.reserve(10)
		write(300, 400)
		for i := range 420 {
			if done := o.Done(json.RawMessage(fmt.Sprint(i))); done != (i < 400) {
				t.Fatalf("Done(%d) = %v", i, done)
			}
		}
		return fmt.Sprint(o.Len())
	})
}

func TestAKeyerKeysEachJobAsKeyOfDoes(t *testing.T) {
	box := localBox(t)
	in := writeInput(t,
		`{"id":1,"tool":"estimate_cost","args":{"tool":"search_ads","arguments":{"search":"coffee"}}}`,
		`{"id":2,"tool":"estimate_cost","args":{"tool":"search_ads","arguments":{"search":"coffee"}}}`,
		`{"id":3,"tool":"estimate_cost","args":{"tool":"search_ads","arguments":{"search":"tea"}}}`,
		`{"id":4,"tool":"estimate_cost","args":{"arguments":{"search":"tea"},"tool":"search_ads"}}`,
		`{"id":5,"tool":"get_budget","args":{"tool":"search_ads","arguments":{"search":"tea"}}}`,
		`{"id":6,"tool":"no_such_tool","args":{"tool":"search_ads","arguments":{"search":"tea"}}}`,
		`{"id":7,"tool":"estimate_cost","args":{"tool":"search_ads","arguments":{"search":"tea"}}}`,
		`{"id":8,"tool":"estimate_cost"}`,
		`{"id":9,"tool":"estimate_cost"}`,
	)
	ks := keyer{box: box}
	var full []Job
	for j, err := range in.All() {
		if err != nil {
			t.Fatal(err)
		}
		full = append(full, j)
	}
	i := 0
	for j, err := range idsAndTools(in) {
		if err != nil {
			t.Fatal(err)
		}
		got, gotOK, err := ks.of(&j)
		want, wantOK := keyOf(box, &full[i])
		if err != nil || got != want || gotOK != wantOK {
			t.Errorf("job %s: keyer %x %v %v; keyOf %x %v", j.ID, got, gotOK, err, want, wantOK)
		}
		i++
	}
	if i != len(full) {
		t.Errorf("read %d jobs, want %d", i, len(full))
	}
}
