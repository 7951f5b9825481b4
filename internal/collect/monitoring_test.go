package collect

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

const watchPattern = `{"source":["aws.kms"],"detail":{"eventName":["DisableKey","ScheduleKeyDeletion","PutKeyPolicy"]}}`

// fakeMonitoring answers the monitoring reads as EventBridge, CloudWatch
// Logs (JSON 1.1) and CloudWatch (RPC v2 CBOR) do, in two pages where the
// service pages. fail names an operation to answer with a fault.
type fakeMonitoring struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]int // operation -> HTTP status
}

func (f *fakeMonitoring) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	op := r.Header.Get("X-Amz-Target")
	if _, o, ok := strings.Cut(r.URL.Path, "/operation/"); ok {
		op = "GraniteServiceVersion20100801." + o
	}
	f.mu.Lock()
	f.calls = append(f.calls, op)
	status := f.fail[op]
	f.mu.Unlock()
	if status != 0 {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"__type":"AccessDeniedException","message":"not allowed"}`)
		return
	}
	json11 := func(s string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, s)
	}
	switch op {
	case "AWSEvents.ListRules":
		if in["NextToken"] == nil {
			json11(`{"Rules":[{"Name":"scheduled","ScheduleExpression":"rate(1 day)","State":"ENABLED"}],"NextToken":"p2"}`)
		} else {
			p, _ := json.Marshal(watchPattern)
			json11(`{"Rules":[{"Name":"cmk-watch","EventPattern":` + string(p) + `,"State":"ENABLED","EventBusName":"default"}]}`)
		}
	case "AWSEvents.ListTargetsByRule":
		json11(`{"Targets":[{"Id":"alert","Arn":"arn:aws:sns:us-east-1:111122223333:cmk-alerts"}]}`)
	case "Logs_20140328.DescribeLogGroups":
		json11(`{"logGroups":[{"logGroupName":"CloudTrail/logs"}]}`)
	case "Logs_20140328.DescribeMetricFilters":
		if in["nextToken"] == nil {
			json11(`{"metricFilters":[],"nextToken":"p2"}`)
		} else {
			json11(`{"metricFilters":[{"filterName":"f","logGroupName":"CloudTrail/logs","filterPattern":"{ $.eventName = DisableKey }","metricTransformations":[{"metricName":"m","metricNamespace":"n","metricValue":"1"}]}]}`)
		}
	case "GraniteServiceVersion20100801.DescribeAlarms":
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		_, _ = w.Write(cbor.Encode(cbor.Map{"MetricAlarms": cbor.List{cbor.Map{
			"AlarmName": cbor.String("kms-changes"), "MetricName": cbor.String("m"), "Namespace": cbor.String("n"),
			"ActionsEnabled": cbor.Bool(true), "AlarmActions": cbor.List{cbor.String("arn:aws:sns:us-east-1:111122223333:cmk-alerts")},
		}}, "CompositeAlarms": cbor.List{}}))
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException"}`)
	}
}

func monitoringRun(t *testing.T, f *fakeMonitoring) (*keyRun, *Guard) {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	cfg.RetryMaxAttempts = 1
	c, err := New(&targets.Conn{TargetFacts: keystate.TargetFacts{Kind: keystate.KindLocalStack, Region: "us-east-1"}, Config: cfg}, Options{})
	require.NoError(t, err)
	return &keyRun{Collector: c, answers: map[string]json.RawMessage{}, problems: map[string]string{}}, c.Guard()
}

func TestMonitoringIsCollectedEveryPage(t *testing.T) {
	f := &fakeMonitoring{}
	run, guard := monitoringRun(t, f)
	run.monitoring(context.Background())
	require.Empty(t, run.problems)
	assert.Equal(t, []string{OpListRules, OpListRules, OpListTargetsByRule, OpDescribeLogGroups,
		OpDescribeMetricFilters, OpDescribeMetricFilters, OpDescribeAlarms}, guard.Calls(), "every page, named as IAM names them")

	s := keystate.FromAnswers(run.answers)
	for _, m := range keystate.MonitoringMembers {
		assert.Empty(t, s.Problem(m), m)
	}
	require.Len(t, s.Rules, 2, "both pages of rules")
	assert.Equal(t, map[string][]string{"cmk-watch": {"arn:aws:sns:us-east-1:111122223333:cmk-alerts"}}, s.RuleTargets,
		"targets are asked for the rules with an event pattern")
	require.Len(t, s.MetricFilters, 1, "the filter of the second page")
	require.Len(t, s.Alarms, 1)
	assert.Equal(t, []string{"arn:aws:sns:us-east-1:111122223333:cmk-alerts"}, s.Alarms[0].AlarmActions)
	assert.True(t, json.Valid(run.answers[keystate.DescribeAlarms]), "the CBOR answer is kept as the CLI prints it")
}

// A failed monitoring read leaves its member a problem naming the call:
// CMK-MON-1 is then ERROR, never judged on less than every page.
func TestMonitoringFaultsAreProblems(t *testing.T) {
	for target, member := range map[string]string{
		"AWSEvents.ListRules":                          keystate.ListRules,
		"AWSEvents.ListTargetsByRule":                  keystate.ListTargetsByRule,
		"Logs_20140328.DescribeLogGroups":              keystate.DescribeLogGroups,
		"Logs_20140328.DescribeMetricFilters":          keystate.DescribeMetricFilters,
		"GraniteServiceVersion20100801.DescribeAlarms": keystate.DescribeAlarms,
	} {
		for _, status := range []int{http.StatusForbidden, http.StatusInternalServerError} {
			t.Run(member, func(t *testing.T) {
				run, _ := monitoringRun(t, &fakeMonitoring{fail: map[string]int{target: status}})
				run.monitoring(context.Background())
				assert.Contains(t, run.problems[member], "failed", member)
				assert.NotContains(t, run.answers, member)
			})
		}
	}
}

// Writes to EventBridge, CloudWatch Logs and CloudWatch are refused by the
// guard before they are sent.
func TestGuardRefusesMonitoringWrites(t *testing.T) {
	f := &fakeMonitoring{}
	run, guard := monitoringRun(t, f)
	_, err := eventbridge.NewFromConfig(run.cfg).PutRule(context.Background(), &eventbridge.PutRuleInput{Name: aws.String("x")})
	var refused *RefusedError
	require.True(t, errors.As(err, &refused), "%v", err)
	assert.Equal(t, "events:PutRule", refused.Op)
	_, err = cloudwatch.NewFromConfig(run.cfg).PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("x")})
	require.True(t, errors.As(err, &refused), "%v", err)
	assert.Equal(t, "cloudwatch:PutMetricAlarm", refused.Op)
	_, err = cloudwatchlogs.NewFromConfig(run.cfg).DeleteMetricFilter(context.Background(), &cloudwatchlogs.DeleteMetricFilterInput{
		FilterName: aws.String("f"), LogGroupName: aws.String("g")})
	require.True(t, errors.As(err, &refused), "%v", err)
	assert.Equal(t, "logs:DeleteMetricFilter", refused.Op)
	assert.Empty(t, f.calls, "nothing reached the service")
	assert.Equal(t, []string{"events:PutRule", "cloudwatch:PutMetricAlarm", "logs:DeleteMetricFilter"}, guard.Refused())
}
