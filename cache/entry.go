package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Entry is one stored answer.
type Entry struct {
	// Value is the answer, as the caller stored it.
	Value []byte
	// StoredAt is when the call that answered was looked up (so before
	// it was made).
	StoredAt time.Time
	// Expires is StoredAt + Config.TTL.
	Expires time.Time
	// Version is the data version when the call was made ("" when
	// unknown).
	Version string
	// Cost is the credits the call cost.
	Cost int64
}

// ValidAt reports whether e may be served at now when the data version
// is current: it has not expired, and it was made under that version or
// a later one (a process that has not yet seen a refresh may read what
// another stored after it). An entry of an unknown version ("") is valid
// only while the current version is unknown too: once the version is
// known it may predate a refresh.
func (e Entry) ValidAt(now time.Time, current string) bool {
	return now.Before(e.Expires) && e.Version >= current
}

// entryHeader is the encoded form of an Entry's fields other than Value.
type entryHeader struct {
	StoredAt time.Time `json:"t"`
	Expires  time.Time `json:"x"`
	Version  string    `json:"d,omitempty"`
	Cost     int64     `json:"c,omitempty"`
}

// encodeEntry writes e as one line of JSON (the header) followed by the
// value's bytes as they are.
func encodeEntry(e Entry) []byte {
	h, _ := json.Marshal(entryHeader{StoredAt: e.StoredAt.UTC(), Expires: e.Expires.UTC(), Version: e.Version, Cost: e.Cost})
	out := make([]byte, 0, len(h)+1+len(e.Value))
	out = append(append(append(out, h...), '\n'), e.Value...)
	return out
}

var errBadEntry = errors.New("cache: a stored entry does not decode")

func decodeEntry(raw []byte) (Entry, error) {
	i := bytes.IndexByte(raw, '\n')
	if i < 0 {
		return Entry{}, errBadEntry
	}
	var h entryHeader
	if err := json.Unmarshal(raw[:i], &h); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", errBadEntry, err)
	}
	return Entry{Value: raw[i+1:], StoredAt: h.StoredAt, Expires: h.Expires, Version: h.Version, Cost: h.Cost}, nil
}
