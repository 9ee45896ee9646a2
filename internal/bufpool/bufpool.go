// Package bufpool keeps bytes.Buffers for reuse between calls, the way
// runtime reads response bodies and batch encodes output lines: a
// sync.Pool that gives out empty buffers and takes back only those that
// stayed within a cap, so that one huge body or line does not keep a
// huge buffer alive in the pool for the rest of the process.
package bufpool

import (
	"bytes"
	"sync"
)

// Pool is a pool of buffers of at most Max bytes of capacity. The zero
// value with Max set is ready to use; a Pool must not be copied after
// first use. Its methods are safe for concurrent use.
type Pool struct {
	// Max is the largest capacity a buffer given back may have and still
	// be kept.
	Max int

	p sync.Pool
}

// Get returns an empty buffer: one given back earlier, or a new one.
func (p *Pool) Get() *bytes.Buffer {
	if b, ok := p.p.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// Put gives b back for a later Get, emptied, unless it grew past Max.
// The caller must not use b afterwards.
func (p *Pool) Put(b *bytes.Buffer) {
	if b.Cap() > p.Max {
		return
	}
	b.Reset()
	p.p.Put(b)
}
