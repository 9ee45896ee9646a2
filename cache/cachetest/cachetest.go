// Package cachetest checks that a cache.Backend keeps the contract the
// cache relies on: generations, byte-bounded LRU eviction, expiry and
// safety under concurrent use. The memory backend and the Redis backend
// run the same checks.
package cachetest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/cache"
)

// Factory returns a new, empty backend bounded to about maxBytes, and a
// function that makes time pass for its expiry (nil when only real time
// passes, as in Redis; the expiry check is then skipped).
type Factory func(t *testing.T, maxBytes int64) (b cache.Backend, advance func(time.Duration))

// Run runs every check against backends made by newBackend.
func Run(t *testing.T, newBackend Factory) {
	t.Run("StoresAndLoads", func(t *testing.T) { storesAndLoads(t, newBackend) })
	t.Run("BumpHidesAndRefusesOlderGenerations", func(t *testing.T) { bump(t, newBackend) })
	t.Run("EvictsTheLeastRecentlyUsedByBytes", func(t *testing.T) { evicts(t, newBackend) })
	t.Run("DropsAValueLargerThanTheBound", func(t *testing.T) { oversize(t, newBackend) })
	t.Run("ForgetsExpiredValues", func(t *testing.T) { expires(t, newBackend) })
	t.Run("SafeForConcurrentUse", func(t *testing.T) { concurrent(t, newBackend) })
}

var ctx = context.Background()

func load(t *testing.T, b cache.Backend, group, key string) ([]byte, uint64, bool) {
	t.Helper()
	v, gen, ok, err := b.Load(ctx, group, key)
	if err != nil {
		t.Fatalf("Load(%s, %s): %v", group, key, err)
	}
	return v, gen, ok
}

func save(t *testing.T, b cache.Backend, group, key string, gen uint64, v []byte) {
	t.Helper()
	if err := b.Save(ctx, group, key, gen, v, time.Hour); err != nil {
		t.Fatalf("Save(%s, %s): %v", group, key, err)
	}
}

func storesAndLoads(t *testing.T, newBackend Factory) {
	b, _ := newBackend(t, 1<<20)
	if _, gen, ok := load(t, b, "g", "k"); ok || gen != 0 {
		t.Fatalf("empty backend: found=%v gen=%d, want nothing in generation 0", ok, gen)
	}
	value := []byte("{\"data\":[1,2,3]}\n\x00binary\xff")
	save(t, b, "g", "k", 0, value)
	got, _, ok := load(t, b, "g", "k")
	if !ok || !bytes.Equal(got, value) {
		t.Fatalf("Load = %q, %v; want %q", got, ok, value)
	}
	if _, _, ok := load(t, b, "other", "k"); ok {
		t.Fatal("a key was found in another group")
	}
	save(t, b, "g", "k", 0, []byte("second"))
	if got, _, _ := load(t, b, "g", "k"); string(got) != "second" {
		t.Fatalf("after overwrite Load = %q", got)
	}
}

func bump(t *testing.T, newBackend Factory) {
	b, _ := newBackend(t, 1<<20)
	save(t, b, "g", "k", 0, []byte("v0"))
	save(t, b, "h", "k", 0, []byte("other group"))
	if err := b.Bump(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	_, gen, ok := load(t, b, "g", "k")
	if ok || gen == 0 {
		t.Fatalf("after Bump: found=%v gen=%d; want nothing, in a new generation", ok, gen)
	}
	if _, _, ok := load(t, b, "h", "k"); !ok {
		t.Fatal("Bump of one group lost another group's entry")
	}
	// An answer looked up before the bump (generation 0) is not stored.
	save(t, b, "g", "k", 0, []byte("stale"))
	if v, _, ok := load(t, b, "g", "k"); ok {
		t.Fatalf("a value of the old generation was stored: %q", v)
	}
	save(t, b, "g", "k", gen, []byte("v1"))
	if v, _, ok := load(t, b, "g", "k"); !ok || string(v) != "v1" {
		t.Fatalf("Load = %q, %v; want v1", v, ok)
	}
}

func evicts(t *testing.T, newBackend Factory) {
	const max = 16 << 10
	b, _ := newBackend(t, max)
	value := bytes.Repeat([]byte("x"), 1000)
	save(t, b, "g", "hot", 0, value)
	for i := range 40 {
		save(t, b, "g", fmt.Sprintf("cold-%d", i), 0, value)
		if _, _, ok := load(t, b, "g", "hot"); !ok {
			t.Fatalf("the entry used after every save was evicted at save %d", i)
		}
	}
	if _, _, ok := load(t, b, "g", "cold-0"); ok {
		t.Error("the least recently used entry survived 40 KB of saves into 16 KB")
	}
	if _, _, ok := load(t, b, "g", "cold-39"); !ok {
		t.Error("the newest entry was evicted")
	}
	if sz, ok := b.(cache.Sizer); ok {
		n, used, bound, err := sz.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if used > bound || bound != max || n < 5 || n > 16 {
			t.Errorf("Size = %d entries, %d bytes, bound %d; want about 10 entries within %d bytes", n, used, bound, max)
		}
	}
}

func oversize(t *testing.T, newBackend Factory) {
	b, _ := newBackend(t, 4<<10)
	save(t, b, "g", "small", 0, []byte("small"))
	save(t, b, "g", "huge", 0, bytes.Repeat([]byte("x"), 8<<10))
	if _, _, ok := load(t, b, "g", "huge"); ok {
		t.Error("a value twice the bound was stored")
	}
	if _, _, ok := load(t, b, "g", "small"); !ok {
		t.Error("storing a value larger than the bound evicted the others")
	}
}

func expires(t *testing.T, newBackend Factory) {
	b, advance := newBackend(t, 1<<20)
	if advance == nil {
		t.Skip("this backend expires in real time only")
	}
	if err := b.Save(ctx, "g", "k", 0, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	advance(59 * time.Second)
	if _, _, ok := load(t, b, "g", "k"); !ok {
		t.Fatal("expired early")
	}
	advance(time.Second)
	if _, _, ok := load(t, b, "g", "k"); ok {
		t.Fatal("found after its TTL")
	}
}

func concurrent(t *testing.T, newBackend Factory) {
	b, _ := newBackend(t, 64<<10)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				group := fmt.Sprintf("g%d", i%3)
				key := fmt.Sprintf("k%d", (w+i)%7)
				_, gen, _, err := b.Load(ctx, group, key)
				if err == nil {
					err = b.Save(ctx, group, key, gen, []byte(strings.Repeat("v", 100+i)), time.Hour)
				}
				if err == nil && i%10 == 0 {
					err = b.Bump(ctx, group)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if sz, ok := b.(cache.Sizer); ok {
		if _, used, bound, err := sz.Size(ctx); err != nil || used > bound || used < 0 {
			t.Errorf("Size after concurrent use: %d bytes of %d (%v)", used, bound, err)
		}
	}
}
