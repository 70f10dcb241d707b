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
The permissions the operator uses in the namespaces it watches, and nothing more.
tests/shipping/test_rbac.py derives the same set from the operator's code and the generators'
child kinds and fails on any difference: edit this list, then regenerate deploy/ with
`pytest tests/shipping --update-golden`.
*/}}
{{- define "konfiguru.namespacedRules" -}}
{{- $plurals := list }}
{{- range $path, $_ := .Files.Glob "files/crds/*.yaml" }}
{{- $plurals = append $plurals (($.Files.Get $path | fromYaml).spec.names.plural) }}
{{- end }}
{{- $plurals = sortAlpha $plurals }}
- apiGroups: [konfiguru.io]
  resources: [{{ join ", " $plurals }}]
  verbs: [get, list, watch, patch]
- apiGroups: [konfiguru.io]
  resources: [{{ range $i, $p := $plurals }}{{ if $i }}, {{ end }}{{ $p }}/status{{ end }}]
  verbs: [get, patch]
- apiGroups: [konfiguru.io]
  resources: [{{ range $i, $p := $plurals }}{{ if $i }}, {{ end }}{{ $p }}/finalizers{{ end }}]
  verbs: [update]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
- apiGroups: [""]
  resources: [configmaps, persistentvolumeclaims, secrets, serviceaccounts, services]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [apps]
  resources: [deployments, daemonsets, statefulsets]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [batch]
  resources: [cronjobs, jobs]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [networking.k8s.io]
  resources: [ingresses, networkpolicies]
  verbs: [get, list, watch, create, patch, delete]
{{- end }}

{{/*
Cluster-scoped reads Kopf needs: discovering CRDs always; namespaces only when it watches a list
of namespaces (it resolves them and notices new ones); peering objects of the matching scope.
*/}}
{{- define "konfiguru.clusterRules" -}}
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [list, watch]
{{- if include "konfiguru.clusterwide" . }}
{{- if .Values.highAvailability.enabled }}
- apiGroups: [kopf.dev]
  resources: [clusterkopfpeerings]
  verbs: [list, watch, patch]
{{- end }}
{{- else }}
- apiGroups: [""]
  resources: [namespaces]
  verbs: [list, watch]
{{- end }}
{{- end }}

{{/* Namespaced peering objects, granted per watched namespace. */}}
{{- define "konfiguru.namespacedPeeringRules" -}}
{{- if and .Values.highAvailability.enabled (not (include "konfiguru.clusterwide" .)) }}
- apiGroups: [kopf.dev]
  resources: [kopfpeerings]
  verbs: [list, watch, patch]
{{- end }}
{{- end }}
