package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A Schema is the subset of an OpenAPI schema object tools' converter
// reads. 3.0 and 3.1 spellings come out the same: a 3.1 type array with
// "null" sets Nullable and leaves the other types in Type, a 3.1 const
// is a one-value Enum, and both exclusiveMinimum forms (3.0's boolean
// beside minimum, 3.1's number) set ExclusiveMin (so for
// exclusiveMaximum).
type Schema struct {
	// Type is the schema's types: none, one, or (3.1) several.
	Type Types `json:"type"`
	// Nullable: null is allowed besides Type (3.0 nullable: true, or
	// "null" in a 3.1 type array).
	Nullable    bool   `json:"nullable"`
	Format      string `json:"format"`
	Description string `json:"description"`
	Deprecated  bool   `json:"deprecated"`
	ReadOnly    bool   `json:"readOnly"`
	WriteOnly   bool   `json:"writeOnly"`

	// Enum and Default hold JSON values as encoding/json decodes them
	// into any (numbers are float64).
	Enum    []any `json:"enum"`
	Default any   `json:"default"`

	// Min and Max are inclusive bounds; ExclusiveMin and ExclusiveMax
	// the bounds a value must be above or below (Load sets them from
	// ExclusiveMinimum and ExclusiveMaximum, and then clears Min or Max
	// when the bound was 3.0's).
	Min          *float64 `json:"minimum"`
	Max          *float64 `json:"maximum"`
	ExclusiveMin *float64 `json:"-"`
	ExclusiveMax *float64 `json:"-"`
	// Lengths and item counts are JSON Schema's non-negative integers
	// (1.0 and 1e2 are integers).
	MinLength Count  `json:"minLength"`
	MaxLength *Count `json:"maxLength"`
	Pattern   string `json:"pattern"`
	MinItems  Count  `json:"minItems"`
	MaxItems  *Count `json:"maxItems"`

	Items                *Schema              `json:"items"`
	Properties           map[string]*Schema   `json:"properties"`
	Required             []string             `json:"required"`
	AdditionalProperties AdditionalProperties `json:"additionalProperties"`

	AllOf []*Schema `json:"allOf"`
	OneOf []*Schema `json:"oneOf"`
	AnyOf []*Schema `json:"anyOf"`
	Not   *Schema   `json:"not"`

	// Const is 3.1's const, folded into Enum by Load.
	Const json.RawMessage `json:"const"`
	// ExclusiveMinimum and ExclusiveMaximum are as written: a number
	// (3.1) or a boolean that makes minimum or maximum exclusive (3.0).
	// Load folds them into ExclusiveMin and ExclusiveMax.
	ExclusiveMinimum json.RawMessage `json:"exclusiveMinimum"`
	ExclusiveMaximum json.RawMessage `json:"exclusiveMaximum"`
	Ref              string          `json:"$ref"`
}

// A Count is the value of a keyword that takes a non-negative integer
// (minLength, maxItems). It reads any JSON number with no fraction:
// 10, 10.0, 1e1. A count above what a uint64 holds reads as the largest
// one: no string or array is that long.
type Count uint64

// UnmarshalJSON reads a non-negative integer.
func (c *Count) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		*c = Count(n)
		return nil
	}
	// Not a plain uint64: a fraction, an exponent, a sign, or too many
	// digits. A float is exact enough to tell an integer (a document
	// does not write 1.0000000000000000001 for 1) and bounded in time
	// however long the exponent.
	f, err := strconv.ParseFloat(s, 64)
	mantissa, _, _ := strings.Cut(strings.ToLower(s), "e")
	underflow := f == 0 && strings.ContainsAny(mantissa, "123456789") // 1e-400
	if (err != nil && !errors.Is(err, strconv.ErrRange)) || underflow || f < 0 || f != math.Trunc(f) {
		return fmt.Errorf("minLength, maxLength, minItems and maxItems take a non-negative integer, not %s", s)
	}
	if f >= math.MaxUint64 {
		*c = math.MaxUint64
		return nil
	}
	*c = Count(f)
	return nil
}

// Types is a schema's type keyword: a string, or (3.1) an array of them.
type Types []string

// UnmarshalJSON reads a string or an array of strings.
func (t *Types) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*t = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*t = Types{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("type is neither a string nor an array of strings")
	}
	*t = many
	return nil
}

// Is reports whether the schema has exactly the one type typ.
func (t Types) Is(typ string) bool { return len(t) == 1 && t[0] == typ }

// Includes reports whether typ is one of the types.
func (t Types) Includes(typ string) bool { return slices.Contains(t, typ) }

// Single returns the schema's one type, or "" when it has none or
// several.
func (t Types) Single() string {
	if len(t) == 1 {
		return t[0]
	}
	return ""
}

// AdditionalProperties is additionalProperties: a boolean or a schema.
type AdditionalProperties struct {
	// Has is the boolean form; nil when absent or a schema.
	Has *bool
	// Schema is the schema form; nil when absent or a boolean.
	Schema *Schema
}

// UnmarshalJSON reads a boolean or a schema.
func (a *AdditionalProperties) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*a = AdditionalProperties{}
		return nil
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		v := b[0] == 't'
		*a = AdditionalProperties{Has: &v}
		return nil
	}
	s := new(Schema)
	if err := json.Unmarshal(b, s); err != nil {
		return err
	}
	*a = AdditionalProperties{Schema: s}
	return nil
}

// normalize folds the 3.0 and 3.1 spellings into one (see Schema).
func (s *Schema) normalize() error {
	if len(s.Type) > 1 && slices.Contains(s.Type, "null") {
		s.Nullable = true
		s.Type = slices.DeleteFunc(slices.Clone(s.Type), func(t string) bool { return t == "null" })
	}
	if len(s.Const) > 0 && len(s.Enum) == 0 {
		var v any
		if err := json.Unmarshal(s.Const, &v); err != nil {
			return at("const", err)
		}
		s.Enum = []any{v}
	}
	var err error
	if s.ExclusiveMin, err = exclusive(s.ExclusiveMinimum, &s.Min); err != nil {
		return at("exclusiveMinimum", err)
	}
	if s.ExclusiveMax, err = exclusive(s.ExclusiveMaximum, &s.Max); err != nil {
		return at("exclusiveMaximum", err)
	}
	return nil
}

// exclusive reads an exclusiveMinimum or exclusiveMaximum: a number is
// the exclusive bound (3.1); true makes the inclusive bound *incl
// exclusive (3.0), and clears it.
func exclusive(raw json.RawMessage, incl **float64) (*float64, error) {
	switch v := string(bytes.TrimSpace(raw)); v {
	case "", "null", "false":
		return nil, nil
	case "true":
		b := *incl
		*incl = nil
		return b, nil // nil when there is no bound to make exclusive
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s is neither a number (OpenAPI 3.1) nor a boolean (3.0)", raw)
	}
	return &f, nil
}
