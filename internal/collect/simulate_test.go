package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// iamAnswer is IAM's SimulatePrincipalPolicy answer, as its query protocol
// sends it (XML), for the actions asked.
func iamAnswer(decisions map[string]string, actions []string) string {
	members := ""
	for _, a := range actions {
		members += fmt.Sprintf(`<member><EvalDecision>%s</EvalDecision><EvalActionName>%s</EvalActionName><EvalResourceName>*</EvalResourceName>`+
			`<MatchedStatements><member><SourcePolicyId>KMSAdmin</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType></member></MatchedStatements>`+
			`<MissingContextValues/></member>`, decisions[a], a)
	}
	return `<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult>` +
		`<IsTruncated>false</IsTruncated><EvaluationResults>` + members + `</EvaluationResults></SimulatePrincipalPolicyResult>` +
		`<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`
}

// asAWS is the embedded target dressed as AWS: KMS requests go to the
// emulator, IAM's simulation is answered with decisions; the caller is
// known, as on AWS where the target asks STS when it opens.
func asAWS(t *testing.T, tg *targets.Conn, decisions map[string]string) *targets.Conn {
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
		if form.Get("Action") != "SimulatePrincipalPolicy" {
			http.Error(w, "unexpected "+form.Get("Action"), http.StatusBadRequest)
			return
		}
		assert.Equal(t, "arn:aws:iam::111122223333:role/Ops", form.Get("PolicySourceArn"), "the role of the assumed-role caller")
		var actions []string
		for i := 1; form.Get(fmt.Sprintf("ActionNames.member.%d", i)) != ""; i++ {
			actions = append(actions, form.Get(fmt.Sprintf("ActionNames.member.%d", i)))
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, iamAnswer(decisions, actions))
	}))
	t.Cleanup(srv.Close)
	fake := *tg
	fake.Kind = keystate.KindAWS
	fake.Endpoint = ""
	fake.Config = tg.Config.Copy()
	fake.Config.BaseEndpoint = aws.String(srv.URL)
	fake.Caller = &keystate.Caller{Account: tg.Account, Arn: "arn:aws:sts::111122223333:assumed-role/Ops/alice", UserID: "AROAEXAMPLE:alice"}
	fake.CallerAnswer = []byte(`{"Account":"111122223333","Arn":"arn:aws:sts::111122223333:assumed-role/Ops/alice","UserId":"AROAEXAMPLE:alice"}`)
	return &fake
}

// On AWS the simulation is recorded as the CLI prints it (the answer
// comes as XML), the permission check judges it, and a saved capture
// judges the same.
func TestSimulationIsRecordedAndJudged(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	for name, tc := range map[string]struct {
		decisions map[string]string
		want      checks.Status
		observed  string
	}{
		"allowed": {map[string]string{"kms:CreateKey": "allowed", "kms:Encrypt": "allowed"}, checks.Pass,
			"IAM policy simulation for arn:aws:iam::111122223333:role/Ops: kms:CreateKey allowed, kms:Encrypt allowed"},
		"denied": {map[string]string{"kms:CreateKey": "implicitDeny", "kms:Encrypt": "allowed"}, checks.Warn,
			"kms:CreateKey implicitDeny, kms:Encrypt allowed"},
	} {
		t.Run(name, func(t *testing.T) {
			s, rec, err := Key(context.Background(), asAWS(t, tg, tc.decisions), key.KeyID, Options{})
			require.NoError(t, err)
			assert.Contains(t, rec.Calls, OpSimulatePrincipalPolicy)
			assert.NotContains(t, rec.Calls, OpGetCallerIdentity, "the target's caller is reused")

			var member struct {
				PolicySourceArn   string
				EvaluationResults []map[string]any
			}
			require.NoError(t, json.Unmarshal(s.Raw[keystate.SimulatePrincipalPolicy], &member))
			assert.Equal(t, "arn:aws:iam::111122223333:role/Ops", member.PolicySourceArn)
			require.Len(t, member.EvaluationResults, 2)
			assert.Equal(t, "kms:CreateKey", member.EvaluationResults[0]["EvalActionName"])
			assert.Equal(t, "*", member.EvaluationResults[0]["EvalResourceName"])
			assert.NotEmpty(t, member.EvaluationResults[0]["MatchedStatements"], "the whole result is kept")
			assert.NotContains(t, string(s.Raw[keystate.SimulatePrincipalPolicy]), "null", "unset fields are left out, as the CLI does")
			assert.Equal(t, "arn:aws:sts::111122223333:assumed-role/Ops/alice", s.Identity.Caller.Arn)

			r := judged(t, s, "")
			assert.Equal(t, tc.want, r["CMK-PRM-1"].Status, r["CMK-PRM-1"].Observed)
			assert.Contains(t, r["CMK-PRM-1"].Observed, tc.observed)
			assert.Equal(t, checks.Pass, r["CMK-ACC-1"].Status, r["CMK-ACC-1"].Observed)
			assert.Contains(t, r["CMK-ACC-1"].Observed, "caller arn:aws:sts::111122223333:assumed-role/Ops/alice (account 111122223333)")

			saved, err := s.Snapshot()
			require.NoError(t, err)
			offline, err := keystate.Decode(saved)
			require.NoError(t, err)
			again := judged(t, offline, "")
			for id, want := range r {
				assert.Equal(t, want, again[id], id)
			}
		})
	}
}
