package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestKVTable(t *testing.T) {
	a := newTestAPI(t)
	steps := []struct {
		method, path, body string
		code               int
		want               string // substring of the body, or exact JSON for true/false
	}{
		{"GET", "/v1/kv/missing", "", 404, ""},
		{"PUT", "/v1/kv/config/db/url", "postgres://db:5432/app", 200, "true"},
		{"GET", "/v1/kv/config/db/url?raw", "", 200, "postgres://db:5432/app"},
		{"GET", "/v1/kv/config/db/url", "", 200, `"Value":"cG9zdGdyZXM6Ly9kYjo1NDMyL2FwcA=="`},
		{"PUT", "/v1/kv/config/db/user?flags=42", "app", 200, "true"},
		{"GET", "/v1/kv/config/db/user", "", 200, `"Flags":42`},
		{"PUT", "/v1/kv/config/web/port", "8080", 200, "true"},
		{"PUT", "/v1/kv/config/db/url?cas=0", "other", 200, "false"},
		{"PUT", "/v1/kv/new?cas=0", "x", 200, "true"},
		{"PUT", "/v1/kv/new?cas=999", "y", 200, "false"},
		{"GET", "/v1/kv/config/?keys", "", 200, `["config/db/url","config/db/user","config/web/port"]`},
		{"GET", "/v1/kv/config/?keys&separator=/", "", 200, `["config/db/","config/web/"]`},
		{"GET", "/v1/kv/?keys&separator=/", "", 200, `["config/","new"]`},
		{"GET", "/v1/kv/config/db?recurse", "", 200, `"Key":"config/db/user"`},
		{"GET", "/v1/kv/nothing/?recurse", "", 404, ""},
		{"GET", "/v1/kv/nothing/?keys", "", 404, ""},
		{"PUT", "/v1/kv/empty", "", 200, "true"},
		{"GET", "/v1/kv/empty", "", 200, `"Value":null`},
		{"DELETE", "/v1/kv/new?cas=1", "", 200, "false"},
		{"DELETE", "/v1/kv/config/db?recurse", "", 200, "true"},
		{"GET", "/v1/kv/config/db/url", "", 404, ""},
		{"GET", "/v1/kv/config/web/port?raw", "", 200, "8080"},
		{"DELETE", "/v1/kv/never-existed", "", 200, "true"},
		// Errors.
		{"PUT", "/v1/kv/", "x", 400, "missing key name"},
		{"GET", "/v1/kv/", "", 400, "missing key name"},
		{"DELETE", "/v1/kv/", "", 400, "missing key name"},
		{"PUT", "/v1/kv/k?flags=-1", "x", 400, "flags"},
		{"PUT", "/v1/kv/k?cas=abc", "x", 400, "cas"},
		{"PUT", "/v1/kv/k?acquire=s1", "x", 400, "not supported"},
		{"DELETE", "/v1/kv/k?recurse&cas=1", "", 400, "cannot be combined"},
		{"PUT", "/v1/kv/" + strings.Repeat("k", 3000), "x", 400, "longer than"},
		{"PUT", "/v1/kv/%ff", "x", 400, "UTF-8"},
		{"PUT", "/v1/kv/big", strings.Repeat("v", 512<<10+1), 413, "exceeds the limit"},
		{"POST", "/v1/kv/k", "x", 405, ""},
		{"GET", "/v1/kv/k?stale&consistent", "", 400, "cannot be combined"},
	}
	for _, st := range steps {
		rec := a.do(st.method, st.path, st.body)
		if rec.Code != st.code {
			t.Fatalf("%s %s: %d, want %d (%s)", st.method, st.path, rec.Code, st.code, rec.Body)
		}
		body := strings.TrimSpace(rec.Body.String())
		if st.want != "" && !strings.Contains(body, st.want) {
			t.Fatalf("%s %s: body %q lacks %q", st.method, st.path, body, st.want)
		}
		if st.method == "GET" && st.code != 400 && rec.Header().Get("X-Consul-Index") == "" {
			t.Fatalf("%s %s: no X-Consul-Index", st.method, st.path)
		}
		if st.code == 404 && st.method == "GET" && body != "" {
			t.Fatalf("%s %s: 404 with body %q", st.method, st.path, body)
		}
	}
	if a.store.Node("n1") != nil {
		t.Fatal("KV writes registered a node")
	}
	// The failed requests above wrote nothing.
	if _, e := a.store.KVGet(nil, "big"); e != nil {
		t.Fatal("rejected value was stored")
	}
}

func TestKVCASWithModifyIndex(t *testing.T) {
	a := newTestAPI(t)
	a.mustDo("PUT", "/v1/kv/k", "1")
	var entries []apiKVEntry
	json.Unmarshal(a.mustDo("GET", "/v1/kv/k", "").Body.Bytes(), &entries)
	idx := strconv.FormatUint(entries[0].ModifyIndex, 10)
	if body := a.mustDo("PUT", "/v1/kv/k?cas="+idx, "2").Body.String(); strings.TrimSpace(body) != "true" {
		t.Fatalf("cas with current index: %s", body)
	}
	if body := a.mustDo("PUT", "/v1/kv/k?cas="+idx, "3").Body.String(); strings.TrimSpace(body) != "false" {
		t.Fatalf("cas with stale index: %s", body)
	}
	if body := a.mustDo("GET", "/v1/kv/k?raw", "").Body.String(); body != "2" {
		t.Fatalf("value = %q", body)
	}
}

// TestKVBlockingQueryWakesOnlyForItsKey checks that a watch on key A wakes
// for a write to A and not for a write to B, and logs how fast it wakes.
func TestKVBlockingQueryWakesOnlyForItsKey(t *testing.T) {
	a := newTestAPI(t)
	a.mustDo("PUT", "/v1/kv/app/a", "1")
	a.mustDo("PUT", "/v1/kv/app/b", "1")
	var worst time.Duration
	for round := 0; round < 5; round++ {
		idx := a.mustDo("GET", "/v1/kv/app/a", "").Header().Get("X-Consul-Index")
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- a.do("GET", "/v1/kv/app/a?index="+idx+"&wait=1m", "") }()
		time.Sleep(20 * time.Millisecond) // let it park (not required for correctness)
		a.mustDo("PUT", "/v1/kv/app/b", strconv.Itoa(round))
		select {
		case rec := <-done:
			t.Fatalf("watch on app/a woke for a write to app/b (index %s)", rec.Header().Get("X-Consul-Index"))
		case <-time.After(150 * time.Millisecond):
		}
		start := time.Now()
		a.mustDo("PUT", "/v1/kv/app/a", strconv.Itoa(round+10))
		select {
		case rec := <-done:
			worst = max(worst, time.Since(start))
			var e []apiKVEntry
			json.Unmarshal(rec.Body.Bytes(), &e)
			if len(e) != 1 || string(e[0].Value) != strconv.Itoa(round+10) {
				t.Fatalf("woken with %s", rec.Body)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("watch on app/a did not wake for a write to app/a")
		}
	}
	t.Logf("worst wake-up after the write was acknowledged: %s", worst)

	// Prefix watches wake for deletes under the prefix too.
	idx := a.mustDo("GET", "/v1/kv/app/?recurse", "").Header().Get("X-Consul-Index")
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- a.do("GET", "/v1/kv/app/?recurse&index="+idx+"&wait=1m", "") }()
	a.mustDo("DELETE", "/v1/kv/app/b", "")
	select {
	case rec := <-done:
		if rec.Header().Get("X-Consul-Index") == idx {
			t.Fatal("prefix watch woke without a new index")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("prefix watch did not wake for a delete")
	}
}
