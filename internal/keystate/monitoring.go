package keystate

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Monitoring members: the EventBridge, CloudWatch Logs and CloudWatch
// answers of the key's account and region (CMK-MON-1), each as the AWS CLI
// prints it after paginating: `aws events list-rules`, `aws logs
// describe-log-groups`, `aws logs describe-metric-filters`, `aws cloudwatch
// describe-alarms`. ListTargetsByRule holds one `aws events
// list-targets-by-rule` answer per rule, by rule name:
// {"<rule name>": {"Targets": [...]}}. All are optional: a snapshot
// without them is judged offline as having no monitoring evidence (SKIP).
const (
	ListRules             = "ListRules"
	ListTargetsByRule     = "ListTargetsByRule"
	DescribeLogGroups     = "DescribeLogGroups"
	DescribeMetricFilters = "DescribeMetricFilters"
	DescribeAlarms        = "DescribeAlarms"
)

// MonitoringMembers lists the monitoring members in a fixed order.
var MonitoringMembers = []string{ListRules, ListTargetsByRule, DescribeLogGroups, DescribeMetricFilters, DescribeAlarms}

// OptionalMembers are the members that feed only the checks that read
// them, beyond the live-run facts: absent offline means SKIP there.
var OptionalMembers = append(append([]string{}, MonitoringMembers...), Baseline)

// EventRule is one ListRules entry.
type EventRule struct {
	Name         string
	Arn          string
	EventPattern string // "" for a scheduled rule
	State        string // ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
	EventBusName string
}

// MetricFilter is one DescribeMetricFilters entry.
type MetricFilter struct {
	Name         string
	LogGroupName string
	Pattern      string
	Metrics      []MetricName
}

// MetricName names a CloudWatch metric.
type MetricName struct{ Namespace, Name string }

// Alarm is one DescribeAlarms metric alarm.
type Alarm struct {
	Name           string
	Metrics        []MetricName // the alarm's metric, or those of its metric math
	ActionsEnabled bool
	AlarmActions   []string
}

func (s *State) decodeMonitoring(name string, raw json.RawMessage) error {
	switch name {
	case ListRules:
		var v struct {
			Rules *[]struct {
				Name         *string
				Arn          string
				EventPattern string
				State        string
				EventBusName string
			}
			NextToken string
		}
		if err := strictUnmarshal(raw, &v); err != nil {
			return err
		}
		if v.Rules == nil {
			return errors.New("member Rules is missing")
		}
		if v.NextToken != "" {
			return errors.New("the rule list has a NextToken: give every page")
		}
		rules := []EventRule{}
		for i, r := range *v.Rules {
			if r.Name == nil || *r.Name == "" {
				return fmt.Errorf("Rules[%d] lacks Name", i)
			}
			rules = append(rules, EventRule{Name: *r.Name, Arn: r.Arn, EventPattern: r.EventPattern, State: r.State, EventBusName: r.EventBusName})
		}
		s.Rules = rules
	case ListTargetsByRule:
		var v map[string]struct {
			Targets *[]struct {
				Id  string
				Arn *string
			}
			NextToken string
		}
		if err := strictUnmarshal(raw, &v); err != nil {
			return err
		}
		if v == nil {
			return errors.New("the answer is null, not an object of rule names")
		}
		targets := map[string][]string{}
		for rule, t := range v {
			if t.Targets == nil {
				return fmt.Errorf("rule %q: member Targets is missing", rule)
			}
			if t.NextToken != "" {
				return fmt.Errorf("rule %q: the target list has a NextToken: give every page", rule)
			}
			arns := []string{}
			for i, x := range *t.Targets {
				if x.Arn == nil || *x.Arn == "" {
					return fmt.Errorf("rule %q: Targets[%d] lacks Arn", rule, i)
				}
				arns = append(arns, *x.Arn)
			}
			targets[rule] = arns
		}
		s.RuleTargets = targets
	case DescribeLogGroups:
		var v struct {
			LogGroups *[]struct {
				LogGroupName *string `json:"logGroupName"`
			} `json:"logGroups"`
			NextToken string `json:"nextToken"`
		}
		if err := strictUnmarshal(raw, &v); err != nil {
			return err
		}
		if v.LogGroups == nil {
			return errors.New("member logGroups is missing")
		}
		if v.NextToken != "" {
			return errors.New("the log group list has a nextToken: give every page")
		}
		groups := []string{}
		for i, g := range *v.LogGroups {
			if g.LogGroupName == nil {
				return fmt.Errorf("logGroups[%d] lacks logGroupName", i)
			}
			groups = append(groups, *g.LogGroupName)
		}
		sort.Strings(groups)
		s.LogGroups = groups
	case DescribeMetricFilters:
		var v struct {
			MetricFilters *[]struct {
				FilterName            string  `json:"filterName"`
				FilterPattern         *string `json:"filterPattern"`
				LogGroupName          string  `json:"logGroupName"`
				MetricTransformations []struct {
					MetricName      string `json:"metricName"`
					MetricNamespace string `json:"metricNamespace"`
				} `json:"metricTransformations"`
			} `json:"metricFilters"`
			NextToken string `json:"nextToken"`
		}
		if err := strictUnmarshal(raw, &v); err != nil {
			return err
		}
		if v.MetricFilters == nil {
			return errors.New("member metricFilters is missing")
		}
		if v.NextToken != "" {
			return errors.New("the metric filter list has a nextToken: give every page")
		}
		filters := []MetricFilter{}
		for i, f := range *v.MetricFilters {
			if f.FilterPattern == nil {
				return fmt.Errorf("metricFilters[%d] (%s) lacks filterPattern", i, f.FilterName)
			}
			mf := MetricFilter{Name: f.FilterName, LogGroupName: f.LogGroupName, Pattern: *f.FilterPattern}
			for _, t := range f.MetricTransformations {
				mf.Metrics = append(mf.Metrics, MetricName{Namespace: t.MetricNamespace, Name: t.MetricName})
			}
			filters = append(filters, mf)
		}
		s.MetricFilters = filters
	case DescribeAlarms:
		var v struct {
			MetricAlarms *[]struct {
				AlarmName      string
				Namespace      string
				MetricName     string
				ActionsEnabled *bool
				AlarmActions   []string
				Metrics        []struct {
					MetricStat *struct {
						Metric struct {
							Namespace  string
							MetricName string
						}
					}
				}
			}
			NextToken string
		}
		if err := strictUnmarshal(raw, &v); err != nil {
			return err
		}
		if v.MetricAlarms == nil {
			return errors.New("member MetricAlarms is missing")
		}
		if v.NextToken != "" {
			return errors.New("the alarm list has a NextToken: give every page")
		}
		alarms := []Alarm{}
		for _, a := range *v.MetricAlarms {
			al := Alarm{Name: a.AlarmName, ActionsEnabled: a.ActionsEnabled == nil || *a.ActionsEnabled, AlarmActions: a.AlarmActions}
			if a.MetricName != "" {
				al.Metrics = append(al.Metrics, MetricName{Namespace: a.Namespace, Name: a.MetricName})
			}
			for _, m := range a.Metrics {
				if m.MetricStat != nil {
					al.Metrics = append(al.Metrics, MetricName{Namespace: m.MetricStat.Metric.Namespace, Name: m.MetricStat.Metric.MetricName})
				}
			}
			alarms = append(alarms, al)
		}
		s.Alarms = alarms
	}
	return nil
}
