package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// decodeSuccess turns a 2xx answer into a *Response in one pass over the
// body: bodyScan.scan validates it exactly as json.Valid would and, on the
// way, notes where each top-level member of an envelope starts and ends
// and how many elements each array member holds. Only the envelope's
// small fields (requestId, pagination) are then decoded; data, meta and
// the other members are handed on as the body's own bytes.
func decodeSuccess(raw *rawResponse, m Metering, attempts int) (*Response, error) {
	resp := &Response{
		Status:    raw.status,
		Header:    raw.header,
		Body:      raw.body,
		Metering:  m,
		RequestID: m.RequestID,
		Attempts:  attempts,
	}
	malformed := func(why string) (*Response, error) {
		return nil, &APIError{
			Status: raw.status, Code: CodeMalformedResponse, Message: why,
			RequestID: m.RequestID, Metering: m, Attempts: attempts,
		}
	}
	if raw.status == http.StatusNoContent {
		return resp, nil
	}
	trimmed := bytes.TrimSpace(raw.body)
	if len(trimmed) == 0 {
		return malformed(fmt.Sprintf("HTTP %d with an empty or cut-off body", raw.status))
	}
	var sc bodyScan
	if !sc.scan(trimmed) {
		return malformed(fmt.Sprintf("HTTP %d with a body that is not valid JSON (%d bytes, possibly truncated)", raw.status, len(trimmed)))
	}
	resp.Data = trimmed[:len(trimmed):len(trimmed)]
	resp.DataVerbatim = !sc.recoded
	if trimmed[0] != '{' {
		if trimmed[0] == '[' {
			resp.Rows = sc.rootElems
		}
		return resp, nil
	}
	// The members, by name; a name given twice means its last value, as
	// when the object is decoded into a map.
	var data, requestID, pagination, meta *member
	for i := range sc.members {
		mb := &sc.members[i]
		switch string(mb.name(trimmed)) { // compared without a copy
		case "data":
			data = mb
		case "requestId":
			requestID = mb
		case "pagination":
			pagination = mb
		case "meta":
			meta = mb
		default:
			mb.extra = true
		}
	}
	if data == nil {
		if requestID != nil {
			var s string
			if json.Unmarshal(requestID.value(trimmed), &s) == nil && sanitizeID(s) != "" {
				resp.RequestID = sanitizeID(s)
			}
		}
		return resp, nil
	}
	var id string
	if requestID != nil {
		if err := json.Unmarshal(requestID.value(trimmed), &id); err != nil {
			return malformed("the envelope's pagination or requestId has the wrong type: " + err.Error())
		}
	}
	if pagination != nil {
		if err := json.Unmarshal(pagination.value(trimmed), &resp.Pagination); err != nil {
			return malformed("the envelope's pagination or requestId has the wrong type: " + err.Error())
		}
	}
	resp.Enveloped = true
	resp.Data = data.value(trimmed)
	resp.DataVerbatim = !data.recoded
	if trimmed[data.val] == '[' {
		resp.Rows = data.elems
	}
	if meta != nil {
		resp.Meta = meta.value(trimmed)
	}
	for i := range sc.members {
		if mb := &sc.members[i]; mb.extra {
			if resp.Extra == nil {
				resp.Extra = map[string]json.RawMessage{}
			}
			resp.Extra[string(mb.name(trimmed))] = mb.value(trimmed)
		}
	}
	if id := sanitizeID(id); id != "" {
		resp.RequestID = id
	}
	return resp, nil
}
