{{/* The chart's name, and the release's objects' name: <release>-esalert, or the release's if it says esalert. */}}
{{- define "esalert.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "esalert.fullname" -}}
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

{{- define "esalert.selectorLabels" -}}
app.kubernetes.io/name: {{ include "esalert.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "esalert.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "esalert.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "esalert.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "esalert.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The ConfigMap holding config.yaml, the rules and the modules: the user's, the chart's, or none (the image's files). */}}
{{- define "esalert.configConfigMap" -}}
{{- if and .Values.config.file .Values.config.existingConfigMap }}
{{- fail "config: set config.file or config.existingConfigMap, not both" }}
{{- end }}
{{- if .Values.config.existingConfigMap }}
{{- .Values.config.existingConfigMap }}
{{- else if .Values.config.file }}
{{- printf "%s-config" (include "esalert.fullname" .) }}
{{- end }}
{{- end }}

{{- define "esalert.rulesConfigMap" -}}
{{- if and .Values.rules.files .Values.rules.existingConfigMap }}
{{- fail "rules: set rules.files or rules.existingConfigMap, not both" }}
{{- end }}
{{- if .Values.rules.existingConfigMap }}
{{- .Values.rules.existingConfigMap }}
{{- else if .Values.rules.files }}
{{- printf "%s-rules" (include "esalert.fullname" .) }}
{{- end }}
{{- end }}

{{/* The Secret the chart makes from secrets.values (its non-empty entries), if any. */}}
{{- define "esalert.secretName" -}}
{{- $given := dict }}
{{- range $k, $v := .Values.secrets.values }}
{{- if $v }}{{ $_ := set $given $k $v }}{{ end }}
{{- end }}
{{- if $given }}
{{- include "esalert.fullname" . }}
{{- end }}
{{- end }}

{{- define "esalert.image" -}}
{{- printf "%s:%s" .Values.image.repository (toString (default .Chart.AppVersion .Values.image.tag)) }}
{{- end }}
