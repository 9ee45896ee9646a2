package batch_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/batch"
)

const (
	line1 = `{"id":"a","tool":"get_budget","ok":true,"result":{}}` + "\n"
	line2 = `{"id":2,"tool":"get_ad","ok":false,"error":{"code":"not_found","message":"m","retryable":false,"action":"a","source":"api"}}` + "\n"
)

func TestOpenOutputCutsOffATornLastLine(t *testing.T) {
	path := outPath(t)
	torn := `{"id":"c","tool":"search_ads","ok":true,"result":{"data":[{"id":"x"`
	if err := os.WriteFile(path, []byte(line1+line2+torn), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := batch.OpenOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	if o.Repaired() != int64(len(torn)) {
		t.Errorf("Repaired = %d, want %d", o.Repaired(), len(torn))
	}
	if o.Len() != 2 || !o.Done(json.RawMessage(`"a"`)) || !o.Done(json.RawMessage(`2.0`)) || o.Done(json.RawMessage(`"c"`)) {
		t.Errorf("Len %d; done a %v, 2 %v, c %v; want a and 2 done, c not", o.Len(),
			o.Done(json.RawMessage(`"a"`)), o.Done(json.RawMessage(`2`)), o.Done(json.RawMessage(`"c"`)))
	}
	if err := o.Write(&batch.Record{ID: json.RawMessage(`"c"`), Tool: "get_budget", OK: true, Result: json.RawMessage(`{"x":1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := o.Write(&batch.Record{ID: json.RawMessage(`"a"`), Tool: "get_budget", OK: true}); err == nil {
		t.Error("writing id a twice: no error")
	}
	rec, err := o.Record(json.RawMessage(`2`))
	if err != nil || rec == nil || rec.OK || rec.Error.Code != "not_found" {
		t.Errorf("Record(2) = %+v, %v", rec, err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := line1 + line2 + `{"id":"c","tool":"get_budget","ok":true,"result":{"x":1}}` + "\n"
	if string(b) != want {
		t.Errorf("file =\n%s\nwant\n%s", b, want)
	}
	checkExactlyOnce(t, readLines(t, path), []json.RawMessage{json.RawMessage(`"a"`), json.RawMessage(`2`), json.RawMessage(`"c"`)})
}

func TestOpenOutputRefusesAFileThatIsNotBatchOutput(t *testing.T) {
	for name, content := range map[string]string{
		"not json":     line1 + "hello world\n" + line2,
		"no ok":        line1 + `{"id":"b","tool":"x"}` + "\n",
		"repeated id":  line1 + line2 + line1,
		"id an object": `{"id":{},"tool":"x","ok":true}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := outPath(t)
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := batch.OpenOutput(path)
			var oe *batch.OutputError
			if !errors.As(err, &oe) || oe.Line == 0 {
				t.Fatalf("err = %v, want an *OutputError with a line", err)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Error("the file was changed")
			}
		})
	}
}

func TestOpenOutputIsExclusive(t *testing.T) {
	path := outPath(t)
	o := openOut(t, path)
	_, err := batch.OpenOutput(path)
	if !errors.Is(err, batch.ErrLocked) {
		t.Fatalf("second OpenOutput: err = %v, want ErrLocked", err)
	}
	o.Close()
	o2, err := batch.OpenOutput(path)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	o2.Close()
}

func TestDoneListsTheIDsOfAFileAndRepairsIt(t *testing.T) {
	path := outPath(t)
	if done, err := batch.Done(path); err != nil || len(done) != 0 {
		t.Fatalf("missing file: %v, %v", done, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("Done created the file")
	}
	if err := os.WriteFile(path, []byte(line1+line2+`{"id":"z`), 0o644); err != nil {
		t.Fatal(err)
	}
	done, err := batch.Done(path)
	if err != nil {
		t.Fatal(err)
	}
	ka, _ := batch.Key(json.RawMessage(`"a"`))
	k2, _ := batch.Key(json.RawMessage(`2`))
	if len(done) != 2 || !done[ka] || !done[k2] {
		t.Errorf("Done = %v", done)
	}
	if b, _ := os.ReadFile(path); !strings.HasSuffix(string(b), "\n") {
		t.Error("the torn line is still there")
	}
}
