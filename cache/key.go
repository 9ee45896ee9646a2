package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Key returns a short key that stands for parts: the hex SHA-256 of
// their JSON. encoding/json writes map keys sorted, so two maps with the
// same entries give the same key whatever order they were built in;
// callers normalise anything else that should not matter (defaults,
// the order of sets) before. Values that JSON cannot encode are an
// error.
func Key(parts ...any) (string, error) {
	raw, err := json.Marshal(parts)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16]), nil
}
