{{/*
Helpers shared by the templates. Every template ranges over .Values.apps; inside, the context
is one app: {name, namespace, spec}.
*/}}

{{- define "app.selector" -}}
app.kubernetes.io/name: {{ .name | quote }}
app.kubernetes.io/component: app
{{- end }}

{{/* Labels of one child: call with (dict "app" $app "component" "...") */}}
{{- define "app.labels" -}}
{{- range $key, $value := (.app.spec.labels | default dict) }}
{{ $key | quote }}: {{ $value | quote }}
{{- end }}
app.kubernetes.io/name: {{ .app.name | quote }}
app.kubernetes.io/component: {{ .component | quote }}
app.kubernetes.io/managed-by: konfiguru
konfiguru.io/owner-kind: App
konfiguru.io/owner-name: {{ .app.name | quote }}
{{- if .version }}
{{- $tag := splitList ":" (last (splitList "/" .app.spec.image)) }}
{{- if gt (len $tag) 1 }}
app.kubernetes.io/version: {{ last $tag | quote }}
{{- end }}
{{- end }}
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
{{- $env := dict }}
{{- range $key, $value := (.spec.env | default dict) }}{{ $_ := set $env $key (dict "value" (toString $value)) }}{{ end }}
{{- if and .spec.config (.spec.config.asEnv | default true) }}
{{- range $key, $value := (.spec.config.data | default dict) }}{{ $_ := set $env $key (dict "config" $key) }}{{ end }}
{{- end }}
{{- $app := . }}
{{- range $key := keys $env | sortAlpha }}
{{- $entry := get $env $key }}
- name: {{ $key | quote }}
{{- if hasKey $entry "config" }}
  valueFrom:
    configMapKeyRef:
      name: {{ printf "%s-config" $app.name | quote }}
      key: {{ $key | quote }}
{{- else }}
  value: {{ $entry.value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{- define "app.envFrom" -}}
{{- $app := . }}
{{- range $secret := (.spec.secrets | default list) }}
{{- if ne ($secret.mount | default "env") "files" }}
- secretRef:
    name: {{ printf "%s-%s" $app.name $secret.name | quote }}
  {{- with $secret.prefix }}
  prefix: {{ . | quote }}
  {{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "app.configVolume" -}}
- name: config
  configMap:
    name: {{ printf "%s-config" .name | quote }}
    items:
      {{- $names := list }}
      {{- range $file := .spec.config.files }}{{ $names = append $names $file.name }}{{ end }}
      {{- range $name := $names | sortAlpha }}
      - key: {{ $name | quote }}
        path: {{ $name | quote }}
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

{{/* A probe: call with (dict "probe" <spec> "period" N) */}}
{{- define "app.probe" -}}
httpGet:
  path: {{ .probe.http.path | default "/" | quote }}
  port: http
  scheme: {{ .probe.http.scheme | default "HTTP" }}
initialDelaySeconds: {{ .probe.initialDelaySeconds | default 0 }}
periodSeconds: {{ .probe.periodSeconds | default .period }}
timeoutSeconds: {{ .probe.timeoutSeconds | default 3 }}
failureThreshold: {{ .probe.failureThreshold | default 3 }}
{{- end }}
