"""The admin keeps django-axes's access attempts (the current lockouts, to lift one sooner).
The two logs axes can keep are switched off in the settings; their empty pages would mislead."""

from axes.models import AccessFailureLog, AccessLog
from django.contrib import admin

for model in (AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
