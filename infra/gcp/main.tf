# Tide on Google Cloud: two functions (2nd gen, Node.js 22), the event topic with its push subscription and
# dead-letter topic, a log sink for Compute Engine preemptions, the Cloud Scheduler tick, and a service
# account with a custom role granting exactly the permissions the adapters use (adapters/gcp).
#
#   terraform init && terraform apply -var project=my-project -var source_bucket=my-bucket \
#     -var source_object=tide-gcp.zip -var redis_url_secret=projects/my-project/secrets/tide-redis-url
#
# The zip is `npm run build:gcp` (dist/gcp/): one bundle with the entry points `tideEvents` (CloudEvents:
# Pub/Sub push and Eventarc) and `tideHttp` (the HTTP API, the Cloud Monitoring webhook channel).

terraform {
  required_version = ">= 1.5"
  required_providers {
    google = { source = "hashicorp/google", version = ">= 5.40" }
  }
}

variable "project" { type = string }
variable "region" {
  type    = string
  default = "us-central1"
}
variable "source_bucket" { type = string }
variable "source_object" { type = string }
variable "redis_url_secret" {
  type        = string
  description = "Secret Manager secret (full resource name) holding REDIS_URL"
}
variable "tide_mode" {
  type    = string
  default = "shadow"
  validation {
    condition     = contains(["shadow", "dry-run", "act"], var.tide_mode)
    error_message = "tide_mode must be shadow, dry-run or act."
  }
}
variable "tick_schedule" {
  type    = string
  default = "* * * * *"
}

provider "google" {
  project = var.project
  region  = var.region
}

# --- Identity: the functions run as tide-runtime, with only what the adapters call. ---

resource "google_service_account" "runtime" {
  account_id   = "tide-runtime"
  display_name = "Tide autoscaler runtime"
}

resource "google_project_iam_custom_role" "actuator" {
  role_id     = "tideActuator"
  title       = "Tide actuator"
  description = "Exactly the calls adapters/gcp makes (checked by test/infra/gcp-role.test.ts)"
  permissions = [
    "aiplatform.endpoints.deploy",
    "aiplatform.endpoints.get",
    "aiplatform.endpoints.undeploy",
    "aiplatform.endpoints.update",
    "aiplatform.models.deploy",
    "compute.instanceGroupManagers.get",
    "compute.instanceGroupManagers.update",
    "compute.instanceTemplates.create",
    "compute.instanceTemplates.get",
    "compute.instanceTemplates.useReadOnly",
    "compute.instances.delete",
    "container.clusters.get",
    "container.clusters.update",
    "container.nodes.list",
    "monitoring.timeSeries.list",
  ]
}

resource "google_project_iam_member" "actuator" {
  project = var.project
  role    = google_project_iam_custom_role.actuator.id
  member  = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_secret_manager_secret_iam_member" "redis_url" {
  secret_id = var.redis_url_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.runtime.email}"
}

# Pub/Sub signs push requests with this account's OIDC token; tideEvents verifies issuer, audience and email.
resource "google_service_account" "push" {
  account_id   = "tide-push"
  display_name = "Tide Pub/Sub push"
}

# --- Functions ---

# No NODE_OPTIONS=--enable-source-maps: it would parse the source maps at every cold start. A stack the
# events function throws is mapped to the .ts sources from the maps beside the bundle when it is thrown
# (functions/shell/readable-stack.ts), as on AWS (infra/README.md, "The function's weight").
locals {
  env = {
    TIDE_MODE                    = var.tide_mode
    TIDE_PUBSUB_AUDIENCE         = "https://${var.region}-${var.project}.cloudfunctions.net/tide-events"
    TIDE_PUBSUB_SERVICE_ACCOUNTS = google_service_account.push.email
  }
}

resource "google_cloudfunctions2_function" "events" {
  name     = "tide-events"
  location = var.region
  build_config {
    runtime     = "nodejs22"
    entry_point = "tideEvents"
    source {
      storage_source {
        bucket = var.source_bucket
        object = var.source_object
      }
    }
  }
  service_config {
    max_instance_count    = 20
    timeout_seconds       = 60
    available_memory      = "512Mi"
    service_account_email = google_service_account.runtime.email
    ingress_settings      = "ALLOW_ALL"
    environment_variables = local.env
    secret_environment_variables {
      key        = "REDIS_URL"
      project_id = var.project
      secret     = var.redis_url_secret
      version    = "latest"
    }
  }
}

resource "google_cloudfunctions2_function" "http" {
  name     = "tide-http"
  location = var.region
  build_config {
    runtime     = "nodejs22"
    entry_point = "tideHttp"
    source {
      storage_source {
        bucket = var.source_bucket
        object = var.source_object
      }
    }
  }
  service_config {
    max_instance_count    = 20
    timeout_seconds       = 30
    available_memory      = "512Mi"
    service_account_email = google_service_account.runtime.email
    environment_variables = local.env
    secret_environment_variables {
      key        = "REDIS_URL"
      project_id = var.project
      secret     = var.redis_url_secret
      version    = "latest"
    }
  }
}

resource "google_cloud_run_service_iam_member" "push_invokes_events" {
  location = var.region
  service  = google_cloudfunctions2_function.events.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.push.email}"
}

# The HTTP API authenticates with Tide's own API keys; the platform lets anyone reach it.
resource "google_cloud_run_service_iam_member" "public_http" {
  location = var.region
  service  = google_cloudfunctions2_function.http.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- Events: one topic, a push subscription with retries and a dead-letter topic ---

resource "google_pubsub_topic" "events" {
  name = "tide-events"
}

resource "google_pubsub_topic" "dead_letter" {
  name = "tide-events-dead-letter"
}

resource "google_pubsub_subscription" "dead_letter" {
  name                       = "tide-events-dead-letter"
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = "604800s"
}

# tideEvents answers 2xx to acknowledge (done, or never going to succeed: logged and audited) and 500 to have
# Pub/Sub deliver again (state store down, an action failed retryably); after 5 attempts the message goes to
# the dead-letter topic.
resource "google_pubsub_subscription" "events" {
  name                 = "tide-events-push"
  topic                = google_pubsub_topic.events.id
  ack_deadline_seconds = 60
  push_config {
    # The path names the topic: the Functions Framework reads it when it turns the push body into a CloudEvent.
    push_endpoint = "${google_cloudfunctions2_function.events.service_config[0].uri}/projects/${var.project}/topics/tide-events"
    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = local.env.TIDE_PUBSUB_AUDIENCE
    }
  }
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "300s"
  }
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 5
  }
}

data "google_project" "this" {}

# Pub/Sub's own agent forwards to the dead-letter topic and acknowledges on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  subscription = google_pubsub_subscription.events.id
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# --- Sources ---

# Compute Engine spot preemptions (training nodes) as audit-log entries on the topic.
resource "google_logging_project_sink" "preemptions" {
  name                   = "tide-preemptions"
  destination            = "pubsub.googleapis.com/${google_pubsub_topic.events.id}"
  filter                 = "resource.type=\"gce_instance\" AND protoPayload.methodName=\"compute.instances.preempted\""
  unique_writer_identity = true
}

resource "google_pubsub_topic_iam_member" "sink_publishes" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = google_logging_project_sink.preemptions.writer_identity
}

# Vertex AI custom job state changes (training jobs queued, finished, failed).
resource "google_logging_project_sink" "vertex_jobs" {
  name                   = "tide-vertex-jobs"
  destination            = "pubsub.googleapis.com/${google_pubsub_topic.events.id}"
  filter                 = "resource.type=\"aiplatform.googleapis.com/CustomJob\" AND jsonPayload.state:*"
  unique_writer_identity = true
}

resource "google_pubsub_topic_iam_member" "vertex_sink_publishes" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = google_logging_project_sink.vertex_jobs.writer_identity
}

# Cloud Monitoring alert policies notify this channel; add it to each policy's notification_channels.
resource "google_monitoring_notification_channel" "tide" {
  display_name = "Tide"
  type         = "pubsub"
  labels = {
    topic = google_pubsub_topic.events.id
  }
}

resource "google_pubsub_topic_iam_member" "monitoring_publishes" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-monitoring-notification.iam.gserviceaccount.com"
}

# The tick: plans, metric polling, capacity errors and rolling changes, every minute.
resource "google_cloud_scheduler_job" "tick" {
  name     = "tide-tick"
  schedule = var.tick_schedule
  region   = var.region
  pubsub_target {
    topic_name = google_pubsub_topic.events.id
    data       = base64encode(jsonencode({ tide = "schedule-tick", schedule = "tide-tick" }))
  }
}

output "events_url" { value = google_cloudfunctions2_function.events.service_config[0].uri }
output "http_url" { value = google_cloudfunctions2_function.http.service_config[0].uri }
output "notification_channel" { value = google_monitoring_notification_channel.tide.id }
