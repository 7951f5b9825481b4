package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

const (
	watchPattern = `{"source":["aws.kms"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["kms.amazonaws.com"],"eventName":["DisableKey","ScheduleKeyDeletion","PutKeyPolicy"]}}`
	cisPattern   = `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)||($.eventName=PutKeyPolicy))}`
	topic        = "arn:aws:sns:us-east-1:111122223333:cmk-alerts"
)

// monitoring gives the snapshot the monitoring members: one rule with the
// pattern and targets given (no rule when pattern is ""), and one metric
// filter with the pattern given and an alarm with the actions given (none
// when filter is "").
func monitoring(pattern string, targets []string, filter string, actions []string) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) {
		rules, byRule := []any{}, map[string]any{}
		if pattern != "" {
			rules = append(rules, map[string]any{"Name": "cmk-watch", "Arn": "arn:aws:events:us-east-1:111122223333:rule/cmk-watch",
				"EventPattern": pattern, "State": "ENABLED", "EventBusName": "default"})
			ts := []any{}
			for i, a := range targets {
				ts = append(ts, map[string]any{"Id": string(rune('a' + i)), "Arn": a})
			}
			byRule["cmk-watch"] = map[string]any{"Targets": ts}
		}
		s[keystate.ListRules] = map[string]any{"Rules": rules}
		s[keystate.ListTargetsByRule] = byRule
		filters, alarms := []any{}, []any{}
		if filter != "" {
			filters = append(filters, map[string]any{"filterName": "cmk-changes", "logGroupName": "CloudTrail/logs", "filterPattern": filter,
				"metricTransformations": []any{map[string]any{"metricName": "KMSKeyChanges", "metricNamespace": "CISBenchmark", "metricValue": "1"}}})
			acts := []any{}
			for _, a := range actions {
				acts = append(acts, a)
			}
			alarms = append(alarms, map[string]any{"AlarmName": "kms-changes", "MetricName": "KMSKeyChanges", "Namespace": "CISBenchmark",
				"ActionsEnabled": true, "AlarmActions": acts})
		}
		s[keystate.DescribeLogGroups] = map[string]any{"logGroups": []any{map[string]any{"logGroupName": "CloudTrail/logs"}}}
		s[keystate.DescribeMetricFilters] = map[string]any{"metricFilters": filters}
		s[keystate.DescribeAlarms] = map[string]any{"MetricAlarms": alarms, "CompositeAlarms": []any{}}
	}
}

func then(edits ...func(t *testing.T, s snap)) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) {
		for _, e := range edits {
			e(t, s)
		}
	}
}

var mon1Cases = table([]tc{
	{name: "rule with a target", id: "CMK-MON-1", edit: monitoring(watchPattern, []string{topic}, "", nil), want: checks.Pass, observe: "EventBridge rule cmk-watch"},
	{name: "metric filter with an alarm", id: "CMK-MON-1", edit: monitoring("", nil, cisPattern, []string{topic}), want: checks.Pass, observe: "alarm kms-changes"},
	{name: "rule for this key by ARN", id: "CMK-MON-1", edit: monitoring(
		`{"source":["aws.kms"],"detail":{"eventName":["DisableKey","ScheduleKeyDeletion","PutKeyPolicy"],"resources":{"ARN":["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]}}}`,
		[]string{topic}, "", nil), want: checks.Pass},
	{name: "rule matching only EnableKey", id: "CMK-MON-1", edit: monitoring(`{"source":["aws.kms"],"detail":{"eventName":["EnableKey"]}}`, []string{topic}, "", nil),
		want: checks.Warn, observe: "nothing catches DisableKey, ScheduleKeyDeletion, PutKeyPolicy"},
	{name: "rule without a target", id: "CMK-MON-1", edit: monitoring(watchPattern, nil, "", nil), want: checks.Warn, observe: "has no target"},
	{name: "rule for another key", id: "CMK-MON-1", edit: monitoring(
		`{"source":["aws.kms"],"detail":{"resources":{"ARN":["arn:aws:kms:us-east-1:111122223333:key/other"]}}}`, []string{topic}, "", nil), want: checks.Warn},
	{name: "rule on the key ID only may not match", id: "CMK-MON-1", edit: monitoring(
		`{"source":["aws.kms"],"detail":{"requestParameters":{"keyId":["1234abcd-12ab-34cd-56ef-1234567890ab"]}}}`, []string{topic}, "", nil),
		want: checks.Warn, observe: "may match"},
	{name: "metric filter without an alarm", id: "CMK-MON-1", edit: monitoring("", nil, cisPattern, nil), want: checks.Warn, observe: "no alarm with an action"},
	{name: "CIS filter misses PutKeyPolicy", id: "CMK-MON-1", edit: monitoring("", nil,
		`{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}`, []string{topic}),
		want: checks.Warn, observe: "nothing catches PutKeyPolicy"},
	{name: "required by the profile", id: "CMK-MON-1", profile: "monitoring_required: true", edit: monitoring(watchPattern, nil, "", nil),
		want: checks.Fail, sev: checks.Required},
	{name: "offline without the members", id: "CMK-MON-1", want: checks.Skip, observe: "offline without the EventBridge"},
	{name: "offline with the rules only", id: "CMK-MON-1", edit: then(monitoring(`{"source":["aws.kms"],"detail":{"eventName":["EnableKey"]}}`, []string{topic}, "", nil),
		func(t *testing.T, s snap) {
			delete(s, keystate.DescribeMetricFilters)
			delete(s, keystate.DescribeAlarms)
		}),
		want: checks.Skip, observe: "lacks"},
	{name: "embedded capture", id: "CMK-MON-1", edit: capture(), want: checks.Skip, observe: "embedded target serves KMS only"},
	{name: "rules without targets answer", id: "CMK-MON-1", edit: then(monitoring(watchPattern, []string{topic}, "", nil),
		func(t *testing.T, s snap) { delete(s, keystate.ListTargetsByRule) }), want: checks.Error, observe: "come together"},
	{name: "rules unreadable", id: "CMK-MON-1", edit: then(monitoring(watchPattern, []string{topic}, "", nil),
		func(t *testing.T, s snap) { s[keystate.ListRules] = map[string]any{"Rules": "none"} }), want: checks.Error, observe: "ListRules could not be read"},
	{name: "rules truncated", id: "CMK-MON-1", edit: then(monitoring(watchPattern, []string{topic}, "", nil),
		func(t *testing.T, s snap) { s[keystate.ListRules].(map[string]any)["NextToken"] = "more" }), want: checks.Error, observe: "every page"},
	{name: "key unknown", id: "CMK-MON-1", edit: then(monitoring(watchPattern, []string{topic}, "", nil), without("DescribeKey")), want: checks.Error},
	{name: "live capture failed to ask", id: "CMK-MON-1", edit: capture(func(s snap) {
		s[keystate.Target].(map[string]any)["Kind"] = "localstack"
		s[keystate.CollectionErrors] = map[string]any{keystate.ListRules: "events:ListRules failed: AccessDenied"}
	}), want: checks.Error, observe: "AccessDenied"},
})

func TestMON1Monitoring(t *testing.T) { runCases(t, mon1Cases) }
