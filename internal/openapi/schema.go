package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
)

// A Schema is the subset of an OpenAPI schema object tools' converter
// reads. 3.0 and 3.1 spellings come out the same: a 3.1 type array with
// "null" sets Nullable and leaves the other types in Type, and a 3.1
// const is a one-value Enum.
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

	Min        *float64 `json:"minimum"`
	Max        *float64 `json:"maximum"`
	MultipleOf *float64 `json:"multipleOf"`
	MinLength  uint64   `json:"minLength"`
	MaxLength  *uint64  `json:"maxLength"`
	Pattern    string   `json:"pattern"`
	MinItems   uint64   `json:"minItems"`
	MaxItems   *uint64  `json:"maxItems"`

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
	Ref   string          `json:"$ref"`
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

// normalize folds the 3.1 spellings into the 3.0 ones (see Schema).
func (s *Schema) normalize() error {
	if len(s.Type) > 1 && slices.Contains(s.Type, "null") {
		s.Nullable = true
		s.Type = slices.DeleteFunc(slices.Clone(s.Type), func(t string) bool { return t == "null" })
	}
	if len(s.Const) > 0 && len(s.Enum) == 0 {
		var v any
		if err := json.Unmarshal(s.Const, &v); err != nil {
			return err
		}
		s.Enum = []any{v}
	}
	return nil
}
