# Serves Swagger UI (the swagger-ui-dist package's files, which nobody here
# wrote) from an application pool. setup.sh zips those files with `zip`;
# the artifact block below brings the zip in and extracts it, as Nomad's
# go-getter would. Run from the repository root:
#
#   bash examples/static-site/setup.sh
#   node dist/src/cli/main.js run examples/static-site/job.hcl
#
# (`npm start` does both.)
job "static-site" {
  datacenters = ["dc1"]

  group "web" {
    network {
      port "http" {}
    }

    task "swagger-ui" {
      driver = "iis"

      artifact {
        source      = "swagger-ui.zip"
        destination = "local/swagger-ui"
      }

      config {
        application_pool {
          name       = "default"
          start_mode = "AlwaysRunning"
        }

        application {
          path = "local/swagger-ui"
        }

        binding {
          type = "http"
          port = "http"
        }
      }

      env {
        SITE_URL = "http://${NOMAD_ADDR_http}/"
      }

      resources {
        cpu    = 100
        memory = 128
      }
    }
  }
}
