package health

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxMessage bounds the part of a non-JSON answer quoted in an error.
const maxMessage = 200

// get asks Prometheus's API for path and walks the answer's envelope
// ({"status": ..., "data": ..., "error": ...}) token by token, without
// reading it whole: data, called with the decoder positioned at the "data"
// value of a 2xx answer, must consume exactly that value. An answer that is
// not 2xx or whose status is not "success" is an error carrying the HTTP
// code and Prometheus's error, or the start of the body when it is not
// Prometheus's JSON (a proxy's page).
func (c *Client) get(ctx context.Context, path string, query url.Values, data func(*json.Decoder) error) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.BaseURL, "/")+path+"?"+query.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()

	body := bufio.NewReader(resp.Body)
	head, _ := body.Peek(maxMessage) // for the error message only: at most maxMessage bytes, whatever the body
	head = bytes.Clone(head)
	fail := func(msg string) error {
		if msg == "" {
			msg = strings.TrimSpace(string(head))
		}
		if msg == "" {
			msg = "empty answer"
		}
		return fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, msg)
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !ok {
		data = nil // an error's data, if any, is not read
	}
	env, err := walkEnvelope(json.NewDecoder(body), data)
	switch {
	case errors.Is(err, errNotJSON) && resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %w", ErrNoAPI, fail(""))
	case errors.Is(err, errNotJSON):
		return fail("")
	case err != nil:
		return fmt.Errorf("GET %s: HTTP %d: reading the answer: %w", path, resp.StatusCode, err)
	case !ok || env.status != "success":
		return fail(env.message)
	}
	return nil
}

// envelope is what walkEnvelope keeps of Prometheus's envelope.
type envelope struct{ status, message string }

// ErrNoAPI is an answer 404 that is not Prometheus's API (no JSON): the
// server has no such endpoint, unlike Prometheus, whose errors are JSON.
var ErrNoAPI = errors.New("no such API")

// errNotJSON is an answer that does not start as a JSON object.
var errNotJSON = errors.New("not a JSON object")

// walkEnvelope reads the envelope's keys in any order; data (nil: skip)
// reads the "data" value.
func walkEnvelope(dec *json.Decoder, data func(*json.Decoder) error) (envelope, error) {
	var env envelope
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return env, errNotJSON
	}
	err := walkObject(dec, func(key string) error {
		switch key {
		case "status":
			return dec.Decode(&env.status)
		case "error":
			return dec.Decode(&env.message)
		case "data":
			if data != nil {
				return data(dec)
			}
		}
		return skip(dec)
	})
	return env, err
}

// walkObject calls field for each key of the object whose '{' the decoder
// has just read, with the decoder positioned at the key's value, then reads
// the closing '}'.
func walkObject(dec *json.Decoder, field func(key string) error) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("object key %v is not a string", tok)
		}
		if err := field(key); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// skip reads one value of any size token by token, holding none of it.
func skip(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
