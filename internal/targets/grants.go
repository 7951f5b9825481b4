package targets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/nsmithuk/local-kms/src/data"
	"github.com/nsmithuk/local-kms/src/handler"
)

// local-kms implements no grant operation. Without ListGrants the embedded
// target could not gather a required snapshot member, and every embedded
// audit would carry a collection error; without CreateGrant the grant
// variants could not be made. So the wrapper keeps the grants itself:
// CreateGrant, ListGrants (Limit, Marker, GrantId and GranteePrincipal
// filters) and RevokeGrant, answered in AWS's shape (key ARN in KeyId,
// IssuingAccount, 64-hex GrantId, epoch CreationDate, Truncated always
// present). Grants are not enforced on cryptographic calls (local-kms
// enforces no policy either), and RetireGrant and ListRetirableGrants stay
// unsupported. The store lives as long as the target's database.

// grantStore holds the grants of one embedded target's keys.
type grantStore struct {
	account string
	mu      sync.Mutex
	grants  map[string][]grant // key ARN -> grants, oldest first
}

// grant is one grant as ListGrants answers it on AWS.
type grant struct {
	KeyId             string
	GrantId           string
	Name              string `json:",omitempty"`
	CreationDate      float64
	GranteePrincipal  string
	RetiringPrincipal string `json:",omitempty"`
	IssuingAccount    string
	Operations        []types.GrantOperation
	Constraints       *grantConstraints `json:",omitempty"`
}

type grantConstraints struct {
	EncryptionContextSubset map[string]string `json:",omitempty"`
	EncryptionContextEquals map[string]string `json:",omitempty"`
}

func newGrantStore(account string) *grantStore {
	return &grantStore{account: account, grants: map[string][]grant{}}
}

// Default and largest ListGrants page, as AWS documents them.
const (
	grantPageDefault = 50
	grantPageMax     = 100
)

// serve answers a grant operation, and says whether op is one.
func (g *grantStore) serve(w http.ResponseWriter, r *http.Request, db *data.Database, op string) bool {
	var resp handler.Response
	switch op {
	case "CreateGrant":
		resp = g.create(r, db)
	case "ListGrants":
		resp = g.list(r, db)
	case "RevokeGrant":
		resp = g.revoke(r, db)
	default:
		return false
	}
	writeJSON(w, resp.Code, resp.Body)
	return true
}

func (g *grantStore) create(r *http.Request, db *data.Database) handler.Response {
	var in struct {
		KeyId, GranteePrincipal, RetiringPrincipal, Name string
		Operations                                       []types.GrantOperation
		Constraints                                      *grantConstraints
	}
	if resp, ok := decodeRequest(r, &in); !ok {
		return resp
	}
	if in.GranteePrincipal == "" {
		return handler.NewValidationExceptionResponse("GranteePrincipal is a required parameter")
	}
	if len(in.Operations) == 0 {
		return handler.NewValidationExceptionResponse("Operations is a required parameter")
	}
	for _, op := range in.Operations {
		if !slices.Contains(op.Values(), op) {
			return handler.NewValidationExceptionResponse(fmt.Sprintf("%q is not a grant operation", op))
		}
	}
	arn, resp, ok := grantKey(r, db, in.KeyId)
	if !ok {
		return resp
	}
	id, token, err := grantIDs()
	if err != nil {
		return handler.NewInternalFailureExceptionResponse(err.Error())
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants[arn] = append(g.grants[arn], grant{
		KeyId: arn, GrantId: id, Name: in.Name,
		CreationDate:     float64(time.Now().UnixMilli()) / 1000,
		GranteePrincipal: in.GranteePrincipal, RetiringPrincipal: in.RetiringPrincipal,
		IssuingAccount: "arn:aws:iam::" + g.account + ":root",
		Operations:     in.Operations, Constraints: in.Constraints,
	})
	return handler.NewResponse(http.StatusOK, map[string]string{"GrantId": id, "GrantToken": token})
}

func (g *grantStore) list(r *http.Request, db *data.Database) handler.Response {
	var in struct {
		KeyId, Marker, GrantId, GranteePrincipal string
		Limit                                    *int
	}
	if resp, ok := decodeRequest(r, &in); !ok {
		return resp
	}
	limit := grantPageDefault
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > grantPageMax {
			return handler.NewValidationExceptionResponse(fmt.Sprintf("Limit %d is not between 1 and %d", *in.Limit, grantPageMax))
		}
		limit = *in.Limit
	}
	arn, resp, ok := grantKey(r, db, in.KeyId)
	if !ok {
		return resp
	}
	g.mu.Lock()
	var all []grant
	for _, gr := range g.grants[arn] {
		if (in.GrantId == "" || gr.GrantId == in.GrantId) && (in.GranteePrincipal == "" || gr.GranteePrincipal == in.GranteePrincipal) {
			all = append(all, gr)
		}
	}
	g.mu.Unlock()
	// The marker is the GrantId the next page starts at.
	start := 0
	if in.Marker != "" {
		start = slices.IndexFunc(all, func(gr grant) bool { return gr.GrantId == in.Marker })
		if start < 0 {
			return handler.New400ExceptionResponse("InvalidMarkerException", "the marker is not one this target gave")
		}
	}
	page := struct {
		Grants     []grant
		NextMarker string `json:",omitempty"`
		Truncated  bool
	}{Grants: []grant{}}
	end := min(start+limit, len(all))
	page.Grants = append(page.Grants, all[start:end]...)
	if end < len(all) {
		page.Truncated, page.NextMarker = true, all[end].GrantId
	}
	return handler.NewResponse(http.StatusOK, page)
}

func (g *grantStore) revoke(r *http.Request, db *data.Database) handler.Response {
	var in struct{ KeyId, GrantId string }
	if resp, ok := decodeRequest(r, &in); !ok {
		return resp
	}
	if in.GrantId == "" {
		return handler.NewValidationExceptionResponse("GrantId is a required parameter")
	}
	arn, resp, ok := grantKey(r, db, in.KeyId)
	if !ok {
		return resp
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.IndexFunc(g.grants[arn], func(gr grant) bool { return gr.GrantId == in.GrantId })
	if i < 0 {
		return handler.NewNotFoundExceptionResponse(fmt.Sprintf("Grant ID %s not found for key %s", in.GrantId, arn))
	}
	g.grants[arn] = slices.Delete(g.grants[arn], i, i+1)
	return handler.NewResponse(http.StatusOK, nil)
}

func decodeRequest(r *http.Request, v any) (handler.Response, bool) {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return handler.NewSerializationExceptionResponse(err.Error()), false
	}
	return handler.Response{}, true
}

// grantKey resolves a grant operation's KeyId (a key ID or key ARN; grant
// operations take no alias) to the key ARN through local-kms's own
// DescribeKey, so a missing key gets local-kms's NotFoundException.
// CreateGrant on a key pending deletion is refused, as AWS and LocalStack
// refuse it; listing and revoking its grants are not.
func grantKey(r *http.Request, db *data.Database, keyID string) (string, handler.Response, bool) {
	if keyID == "" {
		return "", handler.NewValidationExceptionResponse("KeyId is a required parameter"), false
	}
	if strings.Contains(keyID, "alias/") {
		return "", handler.NewNotFoundExceptionResponse("grant operations take a key ID or key ARN, not an alias: " + keyID), false
	}
	body, _ := json.Marshal(map[string]string{"KeyId": keyID})
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "/", bytes.NewReader(body))
	if err != nil {
		return "", handler.NewInternalFailureExceptionResponse(err.Error()), false
	}
	resp := handler.NewRequestHandler(req, quiet, db).DescribeKey()
	if resp.Code != http.StatusOK {
		return "", resp, false
	}
	var d struct {
		KeyMetadata struct{ Arn, KeyState string }
	}
	if err := json.Unmarshal([]byte(resp.Body), &d); err != nil || d.KeyMetadata.Arn == "" {
		return "", handler.NewInternalFailureExceptionResponse("local-kms described the key without an ARN"), false
	}
	if d.KeyMetadata.KeyState == string(types.KeyStatePendingDeletion) && strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".CreateGrant") {
		return "", handler.NewKMSInvalidStateExceptionResponse(d.KeyMetadata.Arn + " is pending deletion."), false
	}
	return d.KeyMetadata.Arn, handler.Response{}, true
}

// grantIDs are a grant's ID (64 hex characters, as AWS's) and a token.
func grantIDs() (id, token string, err error) {
	b := make([]byte, 32+64)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("no random grant ID: %w", err)
	}
	return hex.EncodeToString(b[:32]), base64.RawURLEncoding.EncodeToString(b[32:]), nil
}
