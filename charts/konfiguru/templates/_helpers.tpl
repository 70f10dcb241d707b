{{/* Names, labels and the RBAC rules shared by every template of this chart. */}}

{{- define "konfiguru.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "konfiguru.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "konfiguru.selectorLabels" -}}
app.kubernetes.io/name: {{ include "konfiguru.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "konfiguru.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "konfiguru.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: konfiguru
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "konfiguru.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "konfiguru.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "konfiguru.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "konfiguru.clusterwide" -}}
{{- if eq .Values.watch.scope "cluster" }}true{{ end }}
{{- end }}

{{/*
The permissions the operator uses in the namespaces it watches, and nothing more: the list in
files/rbac-rules.yaml is generated from konfiguru_operator.rbac (`pytest tests/shipping
--update-golden`), and tests/shipping checks every rendered (Cluster)Role grants exactly that.
*/}}
{{- define "konfiguru.rbacFile" -}}
{{- .Files.Get "files/rbac-rules.yaml" }}
{{- end }}

{{- define "konfiguru.namespacedRules" -}}
{{- toYaml (concat (include "konfiguru.rbacFile" . | fromYaml).namespaced .Values.rbac.extraRules) }}
{{- end }}

{{/*
The ConfigMap of templates.files; keys cannot hold "/", so <kind>/<file> is stored as
<kind>__<file> and mounted back at its path (konfiguru.templateItems).
*/}}
{{- define "konfiguru.templatesConfigMap" -}}
{{- if .Values.templates.files }}
{{- printf "%s-templates" (include "konfiguru.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Cluster-scoped permissions: Kopf's own discovery reads (from files/rbac-rules.yaml; none while the
operator disables Kopf's scanning) and, with highAvailability over the whole cluster, the
ClusterKopfPeering object.
*/}}
{{- define "konfiguru.clusterRules" -}}
{{- $rbac := include "konfiguru.rbacFile" . | fromYaml }}
{{- $rules := ternary $rbac.kopf.clusterwide $rbac.kopf.namespaces (eq .Values.watch.scope "cluster") | default list }}
{{- if and .Values.highAvailability.enabled (include "konfiguru.clusterwide" .) }}
{{- $rules = append $rules (dict "apiGroups" (list "kopf.dev") "resources" (list "clusterkopfpeerings") "verbs" $rbac.peering.clusterkopfpeerings) }}
{{- end }}
{{- if $rules }}
{{- toYaml $rules }}
{{- end }}
{{- end }}

{{/* Namespaced peering objects, granted per watched namespace. */}}
{{- define "konfiguru.namespacedPeeringRules" -}}
{{- if and .Values.highAvailability.enabled (not (include "konfiguru.clusterwide" .)) }}
- apiGroups: [kopf.dev]
  resources: [kopfpeerings]
  verbs: {{ (include "konfiguru.rbacFile" . | fromYaml).peering.kopfpeerings | toJson }}
{{- end }}
{{- end }}

{{/* The admission webhook's Service, certificate Secret and the names its certificate is for. */}}
{{- define "konfiguru.webhookService" -}}
{{- printf "%s-webhook" (include "konfiguru.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "konfiguru.webhookHosts" -}}
{{- $service := include "konfiguru.webhookService" . }}
{{- printf "%s.%s.svc,%s.%s.svc.cluster.local" $service .Release.Namespace $service .Release.Namespace }}
{{- end }}

{{- define "konfiguru.webhookSelfSigned" -}}
{{- if and .Values.webhook.enabled (eq .Values.webhook.certificates "self-signed") }}true{{ end }}
{{- end }}

{{/* The ConfigMap holding the policy file, if any. */}}
{{- define "konfiguru.policyConfigMap" -}}
{{- if .Values.policy.existingConfigMap }}
{{- .Values.policy.existingConfigMap }}
{{- else if .Values.policy.document }}
{{- printf "%s-policy" (include "konfiguru.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
