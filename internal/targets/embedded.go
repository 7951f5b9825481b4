package targets

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"

	"github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"
	"github.com/nsmithuk/local-kms/src/handler"
	"github.com/sirupsen/logrus"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// local-kms keeps its account and region in package globals, so every
// embedded target open at one time must agree on them.
var embedded struct {
	sync.Mutex
	open            int
	account, region string
}

// quiet is local-kms's logger: its per-request Info lines would drown the
// test output; errors still show.
var quiet = func() *logrus.Logger {
	l := logrus.New()
	l.SetLevel(logrus.ErrorLevel)
	return l
}()

// openEmbedded serves local-kms in-process on 127.0.0.1, with its database
// in a temporary directory removed on Close. It has no STS and no IAM.
func openEmbedded(region, account string) (*Conn, error) {
	if region == "" {
		region = DefaultRegion
	}
	if account == "" {
		account = DefaultAccount
	}
	embedded.Lock()
	defer embedded.Unlock()
	if embedded.open > 0 && (embedded.account != account || embedded.region != region) {
		return nil, fmt.Errorf("target embedded: local-kms keeps one account and region per process; %s/%s is open, close it before opening %s/%s",
			embedded.account, embedded.region, account, region)
	}
	dir, err := os.MkdirTemp("", "cmkcheck-local-kms-")
	if err != nil {
		return nil, fmt.Errorf("target embedded: %w", err)
	}
	config.AWSAccountId = account
	config.AWSRegion = region
	config.DatabasePath = dir
	db, err := openDatabase(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("target embedded: opening the local-kms database in %s: %w", dir, err)
	}
	grants := newGrantStore(account)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveKMS(w, r, db, grants)
	}))
	embedded.open++
	embedded.account, embedded.region = account, region

	t := &Conn{TargetFacts: keystate.TargetFacts{Kind: keystate.KindEmbedded, Endpoint: srv.URL, Region: region, Account: account}, dataDir: dir}
	t.Config = emulatorConfig(srv.URL, region, "test")
	var once sync.Once
	t.closers = append(t.closers, func() {
		once.Do(func() {
			srv.Close()
			db.Close()
			os.RemoveAll(dir)
			embedded.Lock()
			embedded.open--
			embedded.Unlock()
		})
	})
	return t, nil
}

// openDatabase turns local-kms's panic on a bad path into an error.
func openDatabase(dir string) (db *data.Database, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return data.NewDatabase(dir), nil
}

// serveKMS is local-kms's src.HandleRequest with three differences: its own
// quiet logger, a panic in an operation (local-kms asserts key types,
// e.g. PutKeyPolicy on an RSA key) answered as a KMS InternalFailure
// instead of a dropped connection the SDK would retry, and the grant
// operations local-kms lacks answered by the wrapper (see grants.go).
func serveKMS(w http.ResponseWriter, r *http.Request, db *data.Database, grants *grantStore) {
	defer func() {
		if p := recover(); p != nil {
			writeJSON(w, http.StatusInternalServerError, jsonError("KMSInternalException", fmt.Sprint("local-kms failed: ", p)))
		}
	}()
	if r.URL.Path != "/" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if !strings.Contains(r.Header.Get("Content-Type"), "json") {
		writeJSON(w, http.StatusUnsupportedMediaType, jsonError("UnsupportedMediaType", "only JSON requests are accepted"))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	if ok && grants.serve(w, r, db, op) {
		return
	}
	method := reflect.ValueOf(handler.NewRequestHandler(r, quiet, db)).MethodByName(op)
	if !ok || op == "" || !method.IsValid() || method.Type().NumIn() != 0 || method.Type().NumOut() != 1 {
		writeJSON(w, http.StatusNotImplemented, jsonError("UnsupportedOperationException", "local-kms does not implement "+r.Header.Get("X-Amz-Target")))
		return
	}
	resp, ok := method.Call(nil)[0].Interface().(handler.Response)
	if !ok {
		panic("operation " + op + " gave no response")
	}
	writeJSON(w, resp.Code, resp.Body)
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

func jsonError(typ, msg string) string {
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": msg})
	return string(b)
}
