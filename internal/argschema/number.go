package argschema

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Numbers arrive as float64 or json.Number (encoding/json) or as any Go
// int or float (library callers). They are compared as float64, and
// exactly (as decimals, the way JSON writes them) when the floats tie, so
// that 100.0000000000000001 is above a maximum of 100 as it is in JSON
// Schema.

// isNumber reports whether v is one of the number types Validate reads.
func isNumber(v any) bool {
	switch v.(type) {
	case float64, float32, json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr:
		return true
	}
	return false
}

// badNumber says why the number v is not a JSON number ("" when it is).
func badNumber(v any) string {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64) + " is not a JSON number"
		}
	case float32:
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 32) + " is not a JSON number"
		}
	case json.Number:
		if !isJSONNumber(string(x)) {
			return strconv.Quote(string(x)) + " is not a JSON number"
		}
	}
	return ""
}

// isInteger reports whether the number v has no fraction.
func isInteger(v any) bool {
	switch x := v.(type) {
	case float64:
		return x == math.Trunc(x)
	case float32:
		f := float64(x)
		return f == math.Trunc(f)
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			return true
		}
		r, ok := new(big.Rat).SetString(s)
		return ok && r.IsInt()
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr:
		return true
	}
	return false
}

// toFloat is the number v as a float64 (±Inf beyond its range).
func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case json.Number:
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	case int:
		return float64(x)
	case int8:
		return float64(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint:
		return float64(x)
	case uint8:
		return float64(x)
	case uint16:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case uintptr:
		return float64(x)
	}
	return math.NaN()
}

// numText is the number v as JSON writes it.
func numText(v any) string {
	switch x := v.(type) {
	case float64:
		return floatText(x, 64)
	case float32:
		return floatText(float64(x), 32)
	case json.Number:
		return string(x)
	case int:
		return strconv.FormatInt(int64(x), 10)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint:
		return strconv.FormatUint(uint64(x), 10)
	case uint8:
		return strconv.FormatUint(uint64(x), 10)
	case uint16:
		return strconv.FormatUint(uint64(x), 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case uintptr:
		return strconv.FormatUint(uint64(x), 10)
	}
	return ""
}

// compare is -1, 0 or 1 as the number v is below, at or above b.
func compare(v any, b *bound) int {
	f := toFloat(v)
	switch {
	case f < b.f:
		return -1
	case f > b.f:
		return 1
	}
	text := numText(v)
	if text == b.text {
		return 0
	}
	x, ok1 := new(big.Rat).SetString(text)
	y, ok2 := new(big.Rat).SetString(b.text)
	if !ok1 || !ok2 {
		return 0
	}
	return x.Cmp(y)
}

// isJSONNumber reports whether s is a number as JSON writes it.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, n = i+1, n+1
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
