package collect

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// authPage is one page of IAM's GetAccountAuthorizationDetails answer as
// its query protocol sends it (XML, policy documents URL-encoded).
func authPage(roles string, marker string) string {
	trunc := "false"
	m := ""
	if marker != "" {
		trunc, m = "true", "<Marker>"+marker+"</Marker>"
	}
	return `<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetAccountAuthorizationDetailsResult>` +
		`<IsTruncated>` + trunc + `</IsTruncated>` + m + `<UserDetailList/><GroupDetailList/><RoleDetailList>` + roles + `</RoleDetailList><Policies/>` +
		`</GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>`
}

func roleXML(name, doc string) string {
	return `<member><RoleName>` + name + `</RoleName><Arn>arn:aws:iam::111122223333:role/` + name + `</Arn><Path>/</Path>` +
		`<RolePolicyList><member><PolicyName>p</PolicyName><PolicyDocument>` + url.PathEscape(doc) + `</PolicyDocument></member></RolePolicyList>` +
		`<AttachedManagedPolicies/></member>`
}

// withIAM is the embedded target dressed as LocalStack with an IAM that
// answers GetAccountAuthorizationDetails with handler.
func withFakeIAM(t *testing.T, tg *targets.Conn, handler func(w http.ResponseWriter, form url.Values)) *targets.Conn {
	t.Helper()
	kmsURL, err := url.Parse(tg.Endpoint)
	require.NoError(t, err)
	toKMS := httputil.NewSingleHostReverseProxy(kmsURL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "" {
			toKMS.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") != "GetAccountAuthorizationDetails" {
			http.Error(w, "unexpected "+form.Get("Action"), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		handler(w, form)
	}))
	t.Cleanup(srv.Close)
	fake := *tg
	fake.Kind = keystate.KindLocalStack
	fake.Config = tg.Config.Copy()
	fake.Config.BaseEndpoint = aws.String(srv.URL)
	fake.Caller = &keystate.Caller{Account: tg.Account, Arn: "arn:aws:iam::111122223333:root"}
	return &fake
}

const deletes = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`

// Every page is read and merged; the documents stay URL-encoded as IAM
// sent them; ADM-4 names the role that can delete, from either page.
func TestAccountAuthorizationPages(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	var calls atomic.Int32
	fake := withFakeIAM(t, tg, func(w http.ResponseWriter, form url.Values) {
		calls.Add(1)
		if form.Get("Marker") == "" {
			io.WriteString(w, authPage(roleXML("First", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`), "page2"))
			return
		}
		assert.Equal(t, "page2", form.Get("Marker"))
		io.WriteString(w, authPage(roleXML("Deleter", deletes), ""))
	})
	s, rec, err := Key(context.Background(), fake, key.KeyID, Options{})
	require.NoError(t, err)
	assert.Equal(t, int32(2), calls.Load(), "both pages")
	assert.Contains(t, rec.Calls, OpGetAccountAuthorizationDetails)
	require.Empty(t, s.Problem(keystate.GetAccountAuthorizationDetails))
	require.Len(t, s.IAM.Roles, 2)
	assert.Contains(t, string(s.Raw[keystate.GetAccountAuthorizationDetails]), "%22kms:ScheduleKeyDeletion%22", "kept URL-encoded, as IAM sends it")
	assert.NotContains(t, string(s.Raw[keystate.GetAccountAuthorizationDetails]), "null")
	r := judged(t, s, "allow_key_deletion: true")
	assert.Equal(t, checks.Fail, r["CMK-ADM-4"].Status, r["CMK-ADM-4"].Observed)
	assert.Contains(t, r["CMK-ADM-4"].Observed, `arn:aws:iam::111122223333:role/Deleter kms:ScheduleKeyDeletion (ALLOWED via inline policy "p" of role Deleter`)

	saved, err := s.Snapshot()
	require.NoError(t, err)
	offline, err := keystate.Decode(saved)
	require.NoError(t, err)
	assert.Equal(t, r["CMK-ADM-4"], judged(t, offline, "allow_key_deletion: true")["CMK-ADM-4"], "a saved capture judges the same")
}

// Faults: a denial names the permission; a page that says truncated
// without a marker, and an answer IAM garbles, are ERROR; never a PASS.
func TestAccountAuthorizationFaults(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	for name, tc := range map[string]struct {
		handler func(w http.ResponseWriter, form url.Values)
		says    string
	}{
		"access denied": {func(w http.ResponseWriter, _ url.Values) {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: iam:GetAccountAuthorizationDetails</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
		}, "reading IAM was denied: the caller needs iam:GetAccountAuthorizationDetails"},
		"truncated without a marker": {func(w http.ResponseWriter, _ url.Values) {
			io.WriteString(w, strings.Replace(authPage("", "x"), "<Marker>x</Marker>", "", 1))
		}, "says IsTruncated but gives no Marker"},
		"malformed XML": {func(w http.ResponseWriter, _ url.Values) {
			io.WriteString(w, "<GetAccountAuthorizationDetailsResponse><Get")
		}, "iam:GetAccountAuthorizationDetails failed"},
		"endless pages": {func(w http.ResponseWriter, form url.Values) {
			io.WriteString(w, authPage("", fmt.Sprintf("m%s", form.Get("Marker"))))
		}, fmt.Sprintf("still truncated after %d pages", maxPages)},
	} {
		t.Run(name, func(t *testing.T) {
			s, _, err := Key(context.Background(), withFakeIAM(t, tg, tc.handler), key.KeyID, Options{})
			require.NoError(t, err)
			r := judged(t, s, "allow_key_deletion: true")
			assert.Equal(t, checks.Error, r["CMK-ADM-4"].Status, r["CMK-ADM-4"].Observed)
			assert.Contains(t, r["CMK-ADM-4"].Observed, tc.says)
		})
	}
}

// Not read: on the embedded target, and with NoIAM; the guard never sees it.
func TestAccountAuthorizationNotRead(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	s, rec, err := Key(context.Background(), tg, key.KeyID, Options{})
	require.NoError(t, err)
	assert.NotContains(t, rec.Calls, OpGetAccountAuthorizationDetails)
	assert.Equal(t, NoIAMTargetReason, s.IAM.NotRun)
	r := judged(t, s, "")
	assert.Equal(t, checks.Skip, r["CMK-ADM-4"].Status)
	assert.Contains(t, r["CMK-ADM-4"].Observed, "the embedded target has no IAM")

	fake := withFakeIAM(t, tg, func(w http.ResponseWriter, _ url.Values) { t.Error("IAM was read with NoIAM") })
	s, rec, err = Key(context.Background(), fake, key.KeyID, Options{NoIAM: true})
	require.NoError(t, err)
	assert.NotContains(t, rec.Calls, OpGetAccountAuthorizationDetails)
	r = judged(t, s, "")
	assert.Equal(t, checks.Skip, r["CMK-ADM-4"].Status)
	assert.Contains(t, r["CMK-ADM-4"].Observed, "--no-iam")
	assert.Contains(t, ReadOnly(false), OpGetAccountAuthorizationDetails, "on the read-only allowlist")
}

// Only the managed policies an identity uses are kept as evidence.
func TestUsedPolicies(t *testing.T) {
	arn := func(s string) *string { return aws.String("arn:aws:iam::111122223333:policy/" + s) }
	a := authorizationDetails{
		RoleDetailList: []iamtypes.RoleDetail{{AttachedManagedPolicies: []iamtypes.AttachedPolicy{{PolicyArn: arn("Attached")}},
			PermissionsBoundary: &iamtypes.AttachedPermissionsBoundary{PermissionsBoundaryArn: arn("Boundary")}}},
		GroupDetailList: []iamtypes.GroupDetail{{AttachedManagedPolicies: []iamtypes.AttachedPolicy{{PolicyArn: arn("Group")}}}},
		Policies:        []iamtypes.ManagedPolicyDetail{{Arn: arn("Attached")}, {Arn: arn("Unused")}, {Arn: arn("Boundary")}, {Arn: arn("Group")}},
	}
	var kept []string
	for _, p := range usedPolicies(a) {
		kept = append(kept, aws.ToString(p.Arn))
	}
	assert.Equal(t, []string{*arn("Attached"), *arn("Boundary"), *arn("Group")}, kept)
}

// The AWS managed policies are asked for only when an identity uses one:
// a role with AdministratorAccess is then judged with its document.
func TestAccountAuthorizationAWSManaged(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	const admin = "arn:aws:iam::aws:policy/AdministratorAccess"
	var filters []string
	fake := withFakeIAM(t, tg, func(w http.ResponseWriter, form url.Values) {
		filters = append(filters, form.Get("Filter.member.1"))
		assert.Equal(t, "1000", form.Get("MaxItems"))
		if form.Get("Filter.member.1") == "AWSManagedPolicy" {
			doc := url.PathEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
			io.WriteString(w, strings.Replace(authPage("", ""), "<Policies/>", `<Policies><member><PolicyName>AdministratorAccess</PolicyName><Arn>`+admin+
				`</Arn><DefaultVersionId>v1</DefaultVersionId><PolicyVersionList><member><Document>`+doc+`</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></member></PolicyVersionList></member>`+
				`<member><Arn>arn:aws:iam::aws:policy/Unused</Arn><PolicyVersionList/></member></Policies>`, 1))
			return
		}
		role := `<member><RoleName>Admin</RoleName><Arn>arn:aws:iam::111122223333:role/Admin</Arn><RolePolicyList/><AttachedManagedPolicies><member><PolicyName>AdministratorAccess</PolicyName><PolicyArn>` + admin + `</PolicyArn></member></AttachedManagedPolicies></member>`
		io.WriteString(w, authPage(role, ""))
	})
	s, _, err := Key(context.Background(), fake, key.KeyID, Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"User", "AWSManagedPolicy"}, filters, "the account's own first, the AWS managed ones because one is used")
	require.Empty(t, s.Problem(keystate.GetAccountAuthorizationDetails))
	require.Len(t, s.IAM.Policies, 1, "only the policy an identity uses is kept")
	r := judged(t, s, "allow_key_deletion: true")
	assert.Equal(t, checks.Fail, r["CMK-ADM-4"].Status, r["CMK-ADM-4"].Observed)
	assert.Contains(t, r["CMK-ADM-4"].Observed, "arn:aws:iam::111122223333:role/Admin kms:DisableKey (ALLOWED via managed policy "+admin)
}
