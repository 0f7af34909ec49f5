from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "omnioms.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from omnioms.core.jobs import fail_stale_jobs
        from omnioms.core.roles import sync_roles
        from omnioms.core.worker import register_step

        register_step("core.fail_stale_jobs", fail_stale_jobs, every=300.0)

        # post_migrate fires once per app, in INSTALLED_APPS order; after the last one ("web")
        # every app's permissions exist.
        post_migrate.connect(
            sync_roles, sender=apps.get_app_config("web"), dispatch_uid="omnioms.sync_roles"
        )
