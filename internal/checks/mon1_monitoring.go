package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/eventmatch"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// monitoredCalls are the KMS calls whose use someone must notice: each
// one can make the platform's data inaccessible.
var monitoredCalls = []string{"DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"}

func init() {
	register(Check{
		ID: "CMK-MON-1", Title: "Disabling, deleting or re-writing the key's policy raises an alert", Severity: Recommended,
		Section: "after sign-off (disabling makes data inaccessible)",
		Expected: "an enabled EventBridge rule with a target, or a CloudWatch Logs metric filter whose metric has an alarm with an action, " +
			"catches DisableKey, ScheduleKeyDeletion and PutKeyPolicy on this key",
		Remediation: Remediation{
			Console: "Amazon EventBridge > Rules > Create rule on the default bus: event pattern source aws.kms, detail-type \"AWS API Call via CloudTrail\", " +
				"detail.eventName DisableKey, ScheduleKeyDeletion, PutKeyPolicy; target an SNS topic the team reads (CloudTrail must be on in the account).",
			CLI: `aws events put-rule --region <region> --name cmk-<key-id>-watch --event-pattern '{"source":["aws.kms"],"detail-type":["AWS API Call via CloudTrail"],` +
				`"detail":{"eventSource":["kms.amazonaws.com"],"eventName":["DisableKey","ScheduleKeyDeletion","PutKeyPolicy"]}}' && ` +
				"aws events put-targets --region <region> --rule cmk-<key-id>-watch --targets Id=alert,Arn=<sns-topic-arn>",
		},
		Uses:       slices.Clone(keystate.MonitoringMembers),
		requiredIf: func(p *profile.Profile) bool { return p.MonitoringRequired },
		eval:       evalMonitoring,
	})
}

func evalMonitoring(e *env) outcome {
	s := e.s
	has := func(m string) bool { _, ok := s.Raw[m]; return ok }
	var present, absent []string
	for _, m := range keystate.MonitoringMembers {
		if has(m) {
			present = append(present, m)
		} else {
			absent = append(absent, m)
		}
	}
	if len(present) == 0 {
		switch {
		case s.Target != nil && s.Target.Kind == keystate.KindEmbedded:
			return skipped("the embedded target serves KMS only: it has no EventBridge, CloudWatch Logs or CloudWatch to ask whether the key's disabling or deletion raises an alert")
		case s.Declared != "":
			return skipped(offline(s) + ": nothing shows whether the key's disabling or deletion raises an alert (that needs the account's EventBridge / CloudWatch Logs / CloudWatch answers: " +
				strings.Join(keystate.MonitoringMembers, ", ") + ")")
		case !s.Live():
			return skipped(offline(s) + " without the EventBridge / CloudWatch Logs / CloudWatch answers (" +
				strings.Join(keystate.MonitoringMembers, ", ") + "): nothing shows whether the key's disabling or deletion raises an alert")
		}
		return notRecorded(keystate.ListRules, "there are no monitoring answers")
	}
	eventsPath := has(keystate.ListRules) && has(keystate.ListTargetsByRule)
	logsPath := has(keystate.DescribeMetricFilters) && has(keystate.DescribeAlarms)
	switch {
	case has(keystate.ListRules) != has(keystate.ListTargetsByRule):
		return errored("ListRules and ListTargetsByRule come together: with only one, whether a rule catches the calls and alerts anyone cannot be told")
	case has(keystate.DescribeMetricFilters) != has(keystate.DescribeAlarms):
		return errored("DescribeMetricFilters and DescribeAlarms come together: with only one, whether a metric filter alerts anyone cannot be told")
	}

	k := e.key
	if k == nil {
		// The monitoring answers are judged against the key's ID, ARN,
		// account and region.
		return errored("the key is unknown: " + orNotReported(s.Problem(keystate.DescribeKey)))
	}
	call := func(name string) eventmatch.Call {
		return eventmatch.Call{EventName: name, KeyID: k.KeyID, KeyARN: k.Arn, Account: k.Account(), Region: k.Region()}
	}
	caught := map[string][]string{} // call -> what catches it
	var notes []string
	note := func(format string, a ...any) { notes = append(notes, fmt.Sprintf(format, a...)) }

	if eventsPath {
		for _, r := range s.Rules {
			if r.EventPattern == "" {
				continue // a scheduled rule
			}
			p, err := eventmatch.ParseEventPattern(r.EventPattern)
			if err != nil {
				note("rule %s: %v", r.Name, err)
				continue
			}
			yes, maybe := sortCalls(p.Matches, call)
			if len(yes) == 0 && len(maybe) == 0 {
				continue
			}
			targets, known := s.RuleTargets[r.Name]
			switch {
			case r.State != "ENABLED" && r.State != "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
				note("rule %s matches %s but is %s", r.Name, list(append(yes, maybe...)), orNotReported(r.State))
				continue
			case r.EventBusName != "" && r.EventBusName != "default":
				note("rule %s is on event bus %s, which CloudTrail's KMS events do not reach", r.Name, r.EventBusName)
				continue
			case !known:
				note("rule %s matches %s but ListTargetsByRule has no answer for it", r.Name, list(append(yes, maybe...)))
				continue
			case len(targets) == 0:
				note("rule %s matches %s but has no target", r.Name, list(append(yes, maybe...)))
				continue
			}
			if len(maybe) > 0 {
				note("rule %s may match %s, depending on fields of the call its pattern tests (%s): it does not count", r.Name, list(maybe), eventmatch.Compact(r.EventPattern))
			}
			for _, name := range yes {
				caught[name] = append(caught[name], fmt.Sprintf("EventBridge rule %s (target %s)", r.Name, targets[0]))
			}
		}
	}
	if logsPath {
		for _, f := range s.MetricFilters {
			p, err := eventmatch.ParseFilterPattern(f.Pattern)
			if err != nil {
				note("metric filter %s: %v", f.Name, err)
				continue
			}
			yes, maybe := sortCalls(p.Matches, call)
			if len(yes) == 0 && len(maybe) == 0 {
				continue
			}
			if s.LogGroups != nil && !slices.Contains(s.LogGroups, f.LogGroupName) {
				note("metric filter %s is on log group %s, which DescribeLogGroups does not list", f.Name, f.LogGroupName)
				continue
			}
			alarm := alarmFor(s.Alarms, f.Metrics)
			if alarm == "" {
				note("metric filter %s on %s matches %s but no alarm with an action watches its metric", f.Name, f.LogGroupName, list(append(yes, maybe...)))
				continue
			}
			if len(maybe) > 0 {
				note("metric filter %s may match %s, depending on fields of the call its pattern tests (%s): it does not count", f.Name, list(maybe), f.Pattern)
			}
			for _, name := range yes {
				caught[name] = append(caught[name], fmt.Sprintf("metric filter %s on %s (alarm %s)", f.Name, f.LogGroupName, alarm))
			}
		}
	}

	var missed, found []string
	for _, name := range monitoredCalls {
		if len(caught[name]) == 0 {
			missed = append(missed, name)
		} else {
			found = append(found, name+": "+strings.Join(caught[name], ", "))
		}
	}
	observed := ""
	if len(found) > 0 {
		observed = "caught: " + strings.Join(found, "; ")
	}
	if len(missed) == 0 {
		return pass(observed)
	}
	why := "nothing catches " + list(missed)
	if observed != "" {
		why += "; " + observed
	}
	if len(notes) > 0 {
		why += "; " + strings.Join(notes, "; ")
	}
	if !s.Live() && (!eventsPath || !logsPath) {
		return skipped(why + "; the snapshot lacks " + list(absent) + ", which could show more")
	}
	return notMet(why)
}

// alarmFor names an alarm with an enabled action on one of the metrics.
func alarmFor(alarms []keystate.Alarm, metrics []keystate.MetricName) string {
	for _, a := range alarms {
		if !a.ActionsEnabled || len(a.AlarmActions) == 0 {
			continue
		}
		for _, m := range a.Metrics {
			if slices.Contains(metrics, m) {
				return a.Name
			}
		}
	}
	return ""
}

func orNotReported(s string) string {
	if s == "" {
		return "not reported as enabled"
	}
	return s
}

// sortCalls asks matches about each monitored call on this key: the calls
// it surely catches, and those it may catch.
func sortCalls(matches func(eventmatch.Call) eventmatch.Answer, call func(string) eventmatch.Call) (yes, maybe []string) {
	for _, name := range monitoredCalls {
		switch matches(call(name)) {
		case eventmatch.Yes:
			yes = append(yes, name)
		case eventmatch.Unknown:
			maybe = append(maybe, name)
		}
	}
	return yes, maybe
}
