{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "kubatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "kubatch.fullname" -}}
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

{{- define "kubatch.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "kubatch.labels" -}}
helm.sh/chart: {{ include "kubatch.chart" . }}
app.kubernetes.io/name: {{ include "kubatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubatch
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of the operator's own objects. */}}
{{- define "kubatch.operatorLabels" -}}
{{ include "kubatch.labels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Labels that select the operator pods (stable across upgrades). */}}
{{- define "kubatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The operator's ServiceAccount. */}}
{{- define "kubatch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubatch.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository[:tag][@digest]; the tag defaults to the chart's appVersion. */}}
{{- define "kubatch.image" -}}
{{- $tag := default .root.Chart.AppVersion .image.tag }}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}
{{- end }}

{{/* The operator configuration file (operator/src/config/operator-config.ts). */}}
{{- define "kubatch.operatorConfig" -}}
vmSizes:
  {{- toYaml .Values.config.vmSizes | nindent 2 }}
taskRunnerImage: {{ include "kubatch.image" (dict "root" . "image" .Values.taskRunner.image) | quote }}
nodeRootDir: {{ .Values.config.nodeRootDir | quote }}
nodeRootSizeLimit: {{ .Values.config.nodeRootSizeLimit | quote }}
nodeNetworkPolicy: {{ .Values.config.nodeNetworkPolicy }}
nodePodAnnotationPolicy: {{ .Values.admissionPolicy.enabled }}
{{- if .Values.admissionPolicy.enabled }}
jobTokenClusterRole: {{ printf "%s-job-token" (include "kubatch.fullname" .) | quote }}
{{- end }}
{{- with .Values.config.autoscale }}
autoscale:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.config.autoStorage }}
autoStorage:
  name: {{ .name | quote }}
  key: {{ .key | quote }}
{{- end }}
{{- end }}

{{/* The name of the ServiceAccount, Role and RoleBinding the operator creates for node agents
     in each pool's namespace (api/identities.ts, operator/src/node-identity/node-rbac.ts). */}}
{{- define "kubatch.nodeAgentName" -}}
kubatch-node
{{- end }}

{{/* The same for container tasks' upload container, where container tasks have output files. */}}
{{- define "kubatch.uploadName" -}}
kubatch-upload
{{- end }}
