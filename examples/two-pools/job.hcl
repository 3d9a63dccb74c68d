# One site, two application pools: the root application in the "default"
# pool with a virtual directory /docs, and /app-a in a pool of its own, so
# each runs in its own worker process. Run from the repository root:
#
#   node dist/src/cli/main.js run examples/two-pools/job.hcl
job "two-pools" {
  datacenters = ["dc1"]

  group "web" {
    network {
      port "http" {}
    }

    task "site" {
      driver = "iis"

      # Plain directories next to this file, copied as go-getter copies a
      # local directory.
      artifact {
        source      = "site/root"
        destination = "local/root"
      }

      artifact {
        source      = "site/app-a"
        destination = "local/app-a"
      }

      artifact {
        source      = "site/docs"
        destination = "local/docs"
      }

      config {
        application_pool {
          name = "default"
        }

        application_pool {
          name       = "pool-a"
          start_mode = "AlwaysRunning"
        }

        application {
          path = "local/root"

          virtual_directory {
            alias = "/docs"
            path  = "local/docs"
          }
        }

        application {
          alias            = "/app-a"
          path             = "local/app-a"
          application_pool = "pool-a"
        }

        binding {
          type = "http"
          port = "http"
        }
      }
    }
  }
}
