{{/*
Helpers shared by the templates. Every template ranges over .Values.apps; inside, the context
is one app: {name, namespace, spec}.
*/}}

{{- define "app.selector" -}}
app.kubernetes.io/name: {{ .name | quote }}
app.kubernetes.io/component: app
{{- end }}

{{- define "app.labels" -}}
{{- range $key, $value := (.spec.labels | default dict) }}
{{ $key | quote }}: {{ $value | quote }}
{{- end }}
{{ include "app.selector" . }}
app.kubernetes.io/managed-by: konfiguru
konfiguru.io/owner-kind: App
konfiguru.io/owner-name: {{ .name | quote }}
{{- end }}

{{- define "app.minReplicas" -}}
{{- if .spec.autoscale }}{{ .spec.autoscale.min | default 1 }}{{ else }}{{ .spec.replicas | default 1 }}{{ end }}
{{- end }}

{{/* The ConfigMap's data, also hashed into the pod template so a change rolls the pods. */}}
{{- define "app.configData" -}}
{{- $config := .spec.config | default dict }}
{{- range $key, $value := ($config.data | default dict) }}
{{ $key | quote }}: {{ $value | toString | quote }}
{{- end }}
{{- range $file := ($config.files | default list) }}
{{- $text := "" }}
{{- if eq $file.format "yaml" }}{{ $text = toYaml $file.content }}
{{- else if eq $file.format "json" }}{{ $text = toPrettyJson $file.content }}
{{- else if eq $file.format "toml" }}{{ $text = toToml $file.content }}
{{- else if eq $file.format "properties" }}
{{- $lines := list }}
{{- range $k, $v := $file.content }}{{ $lines = append $lines (printf "%s=%v" $k $v) }}{{ end }}
{{- $text = join "\n" $lines }}
{{- else if eq $file.format "ini" }}
{{- $lines := list }}
{{- range $section, $entries := $file.content }}
{{- $lines = append $lines (printf "[%s]" $section) }}
{{- range $k, $v := $entries }}{{ $lines = append $lines (printf "%s = %v" $k $v) }}{{ end }}
{{- end }}
{{- $text = join "\n" $lines }}
{{- else }}{{ $text = toString $file.content }}
{{- end }}
{{ $file.name | quote }}: {{ printf "%s\n" (trimSuffix "\n" $text) | quote }}
{{- end }}
{{- end }}

{{- define "app.podSecurityContext" -}}
runAsNonRoot: true
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "app.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
runAsNonRoot: true
{{- end }}

{{- define "app.env" -}}
{{- $env := .spec.env | default dict }}
{{- range $key := keys $env | sortAlpha }}
- name: {{ $key | quote }}
  value: {{ get $env $key | toString | quote }}
{{- end }}
{{- end }}

{{- define "app.envFrom" -}}
{{- if and .spec.config .spec.config.data }}
- configMapRef:
    name: {{ printf "%s-config" .name | quote }}
{{- end }}
{{- range $secret := (.spec.secrets | default list) }}
{{- if ne ($secret.mount | default "env") "files" }}
- secretRef:
    name: {{ $secret.name | quote }}
  {{- with $secret.prefix }}
  prefix: {{ . | quote }}
  {{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "app.resources" -}}
{{- $r := .spec.resources | default dict }}
requests:
  cpu: {{ $r.cpu | quote }}
  memory: {{ $r.memory | quote }}
limits:
  memory: {{ $r.memoryLimit | default $r.memory | quote }}
{{- end }}

{{- define "app.probe" -}}
httpGet:
  path: {{ .http.path | default "/" | quote }}
  port: http
periodSeconds: 10
timeoutSeconds: 3
failureThreshold: 3
{{- end }}
