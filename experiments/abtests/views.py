from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from evalhub.core.models import Role
from evalhub.core.roles import has_role, role_required
from experiments.abtests import charts, selectors, services
from experiments.abtests.forms import ExperimentForm
from experiments.abtests.metrics import CATALOGUE
from experiments.abtests.models import Experiment


def _experiment(key: str) -> Experiment:
    experiment = selectors.experiment_by_key(key)
    if experiment is None:
        raise Http404(f"unknown experiment '{key}'")
    return experiment


@role_required(Role.VIEWER, Role.ENGINEER, Role.ADMIN)
def experiment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "abtests/list.html", {
        "experiments": selectors.experiments_list(), "catalogue": CATALOGUE,
        "can_register": has_role(request.user, Role.ENGINEER) or has_role(request.user, Role.ADMIN)})


@role_required(Role.ENGINEER, Role.ADMIN)
def experiment_new(request: HttpRequest) -> HttpResponse:
    form = ExperimentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        try:
            experiment = services.experiment_register(owner=request.user, **kwargs)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict, kwargs["arms"])
        else:
            messages.success(request, f"Registered {experiment.key} (draft): start it when the service is ready.")
            return redirect("abtests:detail", key=experiment.key)
    return render(request, "abtests/new.html", {"form": form, "catalogue": CATALOGUE})


@role_required(Role.VIEWER, Role.ENGINEER, Role.ADMIN)
def experiment_detail(request: HttpRequest, key: str) -> HttpResponse:
    experiment = _experiment(key)
    results = selectors.results_for(experiment)
    snapshots = selectors.snapshots_for(experiment)
    return render(request, "abtests/detail.html", {
        "experiment": experiment, "results": results,
        "lift_fig": charts.lift_figure(results).to_json(),
        "history_fig": charts.history_figure(snapshots, experiment.primary_metric).to_json() if snapshots else None,
        "can_edit": has_role(request.user, Role.ENGINEER) or has_role(request.user, Role.ADMIN)})


@require_POST
@role_required(Role.ENGINEER, Role.ADMIN)
def experiment_start(request: HttpRequest, key: str) -> HttpResponse:
    try:
        services.experiment_start(experiment=_experiment(key))
        messages.success(request, f"{key} is running: assignment now records exposures.")
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("abtests:detail", key=key)


@require_POST
@role_required(Role.ENGINEER, Role.ADMIN)
def experiment_stop(request: HttpRequest, key: str) -> HttpResponse:
    try:
        services.experiment_stop(experiment=_experiment(key))
        messages.success(request, f"{key} stopped: everyone now gets the control.")
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("abtests:detail", key=key)
