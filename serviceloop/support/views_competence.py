"""The competence and training screens (clauses 7.2–7.3): the competence matrix (filters, CSV
and a coloured XLSX), competences and requirements, a person's competence profile, the
settings; training courses and sessions with attendance and results. (The communication
plan: ``views_communication``.)"""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import FORMULA_STARTS, Column, export_format, export_response
from serviceloop.core.views.helpers import paginate
from serviceloop.support import queries_competence as queries
from serviceloop.support import services_competence as services
from serviceloop.support import services_training as training
from serviceloop.support.form_screens import (
    data_without,
    flash_form_errors,
    flash_service_errors,
    form_page_save,
    status_move_apply,
)
from serviceloop.support.forms_competence import (
    AttendanceForm,
    CompetenceForm,
    CompetenceSettingsForm,
    CourseForm,
    MatrixFilterForm,
    PersonCompetenceForm,
    RequirementForm,
    SessionEditForm,
    SessionFilterForm,
    SessionForm,
    SessionMoveForm,
)
from serviceloop.support.models import (
    Acknowledgement,
    Competence,
    CompetenceChange,
    CompetenceRequirement,
    CompetenceSettings,
    SessionStatus,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
    competence_read_all,
)

MATRIX_COLUMNS = [
    Column(_l("Person"), "person"),
    Column(_l("Username"), "username"),
    Column(_l("Teams"), "teams"),
    Column(_l("Competence"), "competence"),
    Column(_l("Process or category"), "category"),
    Column(_l("Level"), "level"),
    Column(_l("Required"), "required"),
    Column(_l("Gap"), "gap"),
    Column(_l("Lapsed"), "lapsed"),
    Column(_l("Expires on"), "expires_on"),
]
COMPETENCE_COLUMNS = [
    Column(_l("Name"), "name"),
    Column(_l("Process or category"), "category"),
    Column(_l("Description"), "description"),
    Column(_l("Holders"), "holder_count"),
    Column(_l("Requirements"), "requirement_count"),
    Column(_l("Active"), "is_active"),
]
REQUIREMENT_COLUMNS = [
    Column(_l("Competence"), "competence.name"),
    Column(_l("Applies to"), "get_target_display"),
    Column(_l("Role, process or category"), "target_label"),
    Column(_l("Required level"), "level"),
]
SESSION_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Course"), "course.title"),
    Column(_l("Date"), "held_on"),
    Column(_l("Trainer"), "trainer_label"),
    Column(_l("Location"), "location"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Attendees"), "attendee_count"),
    Column(_l("Attended"), "attended_count"),
    Column(_l("Passed"), "passed_count"),
]
ATTENDANCE_COLUMNS = [
    Column(_l("Session"), "session.reference"),
    Column(_l("Attendee"), "person"),
    Column(_l("Attended"), "attended"),
    Column(_l("Result"), "get_result_display"),
    Column(_l("Score"), "score"),
    Column(_l("Level raised"), "level_raised"),
    Column(_l("Comment"), "comment"),
]
COURSE_COLUMNS = [
    Column(_l("Title"), "title"),
    Column(_l("Competence"), "competence.name"),
    Column(_l("Level reached"), "raises_to_level"),
    Column(_l("Valid for (months)"), "validity_months"),
    Column(_l("Duration (hours)"), "duration_hours"),
    Column(_l("Sessions"), "session_count"),
    Column(_l("Active"), "is_active"),
]


# --- The matrix ----------------------------------------------------------------------------


@login_required
def competence_matrix(request):
    services.require_staff(request.user)
    form = MatrixFilterForm(request.GET or None, processes=queries.processes())
    filters = form.cleaned_data if form.is_valid() else {}
    matrix = queries.competence_matrix(
        request.user,
        team=filters.get("team"),
        process=filters.get("process", ""),
        category=filters.get("category"),
        gaps_only=filters.get("gaps", False),
    )
    fmt = export_format(request)
    if fmt == "csv":
        return export_response(fmt, "competence-matrix", MATRIX_COLUMNS, matrix.long_rows())
    if fmt == "xlsx":
        response = HttpResponse(
            matrix_xlsx(matrix),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        stamp = timezone.localdate().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="competence-matrix-{stamp}.xlsx"'
        return response
    context = {
        "form": form,
        "matrix": matrix,
        "read_all": competence_read_all(request.user),
        "can_edit": services.competence_may_edit(request.user),
        "settings": CompetenceSettings.current(),
    }
    return render(request, "support/competence_matrix.html", context)


def _xlsx_text(value) -> str:
    text = force_str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def matrix_xlsx(matrix) -> bytes:
    """The matrix as one sheet, people × competences; a cell reads "level / required", gaps
    filled red, lapsed certifications amber; a legend below."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    gap_fill = PatternFill("solid", start_color="F8D7DA")
    lapsed_fill = PatternFill("solid", start_color="FFE69C")
    met_fill = PatternFill("solid", start_color="D1E7DD")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = force_str(_("Competence matrix"))[:31]
    sheet.append(
        [force_str(_("Person")), force_str(_("Teams"))]
        + [_xlsx_text(c.name) for c in matrix.competences]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in matrix.rows:
        values = [_xlsx_text(row.person), _xlsx_text(", ".join(t.name for t in row.teams))]
        for cell in row.cells:
            level = "—" if cell.level is None else str(cell.level)
            values.append(f"{level} / {cell.required}" if cell.required is not None else level)
        sheet.append(values)
        for offset, cell in enumerate(row.cells):
            target = sheet.cell(row=sheet.max_row, column=3 + offset)
            if cell.lapsed:
                target.fill = lapsed_fill
            elif cell.gap:
                target.fill = gap_fill
            elif cell.required is not None:
                target.fill = met_fill
    sheet.append([])
    sheet.append([force_str(_("A cell reads: level held / level required."))])
    legend = [
        (gap_fill, _("Below the level required")),
        (lapsed_fill, _("Certification lapsed: counts as 0")),
        (met_fill, _("Requirement met")),
    ]
    for fill, label in legend:
        sheet.append(["", force_str(label)])
        sheet.cell(row=sheet.max_row, column=1).fill = fill
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 22
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Competences, requirements, settings ----------------------------------------------------


@login_required
def competence_list(request):
    services.require_staff(request.user)
    competences = Competence.objects.annotate(
        holder_count=Count("holders", distinct=True),
        requirement_count=Count("requirements", distinct=True),
    ).order_by("category", "name")
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "competences", COMPETENCE_COLUMNS, competences)
    context = {"competences": competences, "can_edit": services.competence_may_edit(request.user)}
    return render(request, "support/competence_list.html", context)


@login_required
def competence_new(request):
    services.require_edit(request.user)
    return form_page_save(
        request,
        CompetenceForm(request.POST or None),
        save=lambda data: services.competence_create(
            actor=request.user, **data_without(data, "is_active")
        ),
        saved=_("Competence saved."),
        done=lambda _saved: redirect("competence_list"),
        title=_("New competence"),
    )


@login_required
def competence_edit(request, pk):
    competence = services.get_competence_for(request.user, pk, write=True)
    form = CompetenceForm(
        request.POST or None,
        initial={
            "name": competence.name,
            "category": competence.category,
            "description": competence.description,
            "is_active": competence.is_active,
        },
    )
    return form_page_save(
        request,
        form,
        save=lambda data: services.competence_update(
            actor=request.user, competence=competence, **data
        ),
        saved=_("Competence saved."),
        done=lambda _saved: redirect("competence_list"),
        title=_("Edit %s") % competence.name,
    )


@login_required
def competence_requirements(request):
    services.require_staff(request.user)
    requirements = CompetenceRequirement.objects.select_related("competence", "category")
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "competence-requirements", REQUIREMENT_COLUMNS, requirements)
    form = RequirementForm() if services.competence_may_edit(request.user) else None
    context = {"requirements": requirements, "form": form}
    return render(request, "support/competence_requirements.html", context)


@login_required
def competence_requirement_new(request):
    services.require_edit(request.user)
    return form_page_save(
        request,
        RequirementForm(request.POST or None),
        save=lambda data: services.requirement_set(actor=request.user, **data),
        saved=_("Requirement saved."),
        done=lambda _saved: redirect("competence_requirements"),
        title=_("New competence requirement"),
    )


@login_required
@require_POST
def competence_requirement_remove(request, pk):
    requirement = services.get_requirement_for(request.user, pk, write=True)
    services.requirement_remove(actor=request.user, requirement=requirement)
    messages.success(request, _("Requirement removed."))
    return redirect("competence_requirements")


@login_required
def competence_settings(request):
    services.require_edit(request.user)
    current = CompetenceSettings.current()
    form = CompetenceSettingsForm(
        request.POST or None,
        initial={
            "assignment_check": current.assignment_check,
            "expiry_notice_days": current.expiry_notice_days,
        },
    )
    return form_page_save(
        request,
        form,
        save=lambda data: services.competence_settings_update(actor=request.user, **data),
        saved=_("Settings saved."),
        done=lambda _saved: redirect("competence_matrix"),
        title=_("Competence settings"),
    )


# --- A person ------------------------------------------------------------------------------


@login_required
def competence_person(request, pk):
    person = services.get_person_for(request.user, pk)
    context = {
        "person": person,
        "rows": queries.person_gaps(person),
        "changes": CompetenceChange.objects.filter(person=person).select_related(
            "competence", "session", "changed_by"
        )[:50],
        "attendances": TrainingAttendance.objects.filter(person=person).select_related(
            "session__course"
        ),
        "acknowledgements": Acknowledgement.objects.filter(person=person).select_related(
            "campaign__document", "campaign__version"
        ),
        "can_edit": services.competence_may_edit(request.user),
        "form": PersonCompetenceForm() if services.competence_may_edit(request.user) else None,
    }
    return render(request, "support/competence_person.html", context)


@login_required
def competence_person_set(request, pk):
    person = services.get_person_for(request.user, pk, write=True)
    initial = {}
    competence_id = request.GET.get("competence", "")
    if competence_id.isdigit():
        held = person.competences.filter(competence_id=competence_id).first()
        initial = {"competence": int(competence_id)}
        if held:
            initial |= {
                "level": held.level,
                "evidence": held.evidence,
                "certificate": held.certificate,
                "expires_on": held.expires_on,
            }
    return form_page_save(
        request,
        PersonCompetenceForm(request.POST or None, initial=initial),
        save=lambda data: services.person_competence_set(actor=request.user, person=person, **data),
        saved=_("Level recorded."),
        done=lambda _saved: redirect("competence_person", pk=person.pk),
        title=_("Record a competence of %s") % person,
    )


# --- Training ------------------------------------------------------------------------------


def _sessions(filters: dict):
    sessions = TrainingSession.objects.select_related("course", "trainer").annotate(
        attendee_count=Count("attendances", distinct=True),
        attended_count=Count("attendances", filter=Q(attendances__attended=True), distinct=True),
        passed_count=Count("attendances", filter=Q(attendances__result="pass"), distinct=True),
    )
    if filters.get("course"):
        sessions = sessions.filter(course=filters["course"])
    if filters.get("status"):
        sessions = sessions.filter(status=filters["status"])
    if filters.get("start"):
        sessions = sessions.filter(held_on__gte=filters["start"])
    if filters.get("end"):
        sessions = sessions.filter(held_on__lte=filters["end"])
    return sessions.order_by("-held_on", "-id")


@login_required
def training_list(request):
    services.require_staff(request.user)
    form = SessionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    sessions = _sessions(filters)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "training-sessions", SESSION_COLUMNS, sessions)
    context = {
        "form": form,
        "page": paginate(request, sessions),
        "can_edit": services.competence_may_edit(request.user),
        "today": timezone.localdate(),
    }
    return render(request, "support/training_list.html", context)


@login_required
def training_session_new(request):
    services.require_edit(request.user)
    return form_page_save(
        request,
        SessionForm(request.POST or None),
        save=lambda data: training.session_create(actor=request.user, **data),
        saved=lambda session: _("Session %s planned.") % session.reference,
        done=lambda session: redirect("training_session", reference=session.reference),
        title=_("New session"),
        # on an empty organisation the course list is empty: say where to add one
        template="support/training_session_form.html",
        context={"courses_exist": TrainingCourse.objects.filter(is_active=True).exists()},
    )


@login_required
def training_session(request, reference):
    session = training.get_session_for(request.user, reference)
    user = request.user
    rows = session.attendances.select_related("person", "recorded_by")
    show_results = competence_read_all(user) or training.may_record_attendance(user, session)
    fmt = export_format(request)
    if fmt:
        if not show_results:
            rows = rows.filter(person=user)
        return export_response(fmt, f"attendance-{session.reference}", ATTENDANCE_COLUMNS, rows)
    context = {
        "session": session,
        "rows": rows,
        "show_results": show_results,
        "can_edit": services.competence_may_edit(user),
        "can_record": training.may_record_attendance(user, session)
        and session.status == SessionStatus.HELD,
        "moves": training.session_transitions_from(session.status)
        if services.competence_may_edit(user)
        else [],
    }
    return render(request, "support/training_session.html", context)


@login_required
def training_session_edit(request, reference):
    session = training.get_session_for(request.user, reference, write=True)
    initial = {
        "held_on": session.held_on,
        "trainer": session.trainer_id,
        "trainer_name": session.trainer_name,
        "location": session.location,
        "notes": session.notes,
        "attendees": list(session.attendances.values_list("person_id", flat=True)),
    }
    return form_page_save(
        request,
        SessionEditForm(request.POST or None, initial=initial),
        save=lambda data: training.session_update(actor=request.user, session=session, **data),
        saved=_("Changes saved."),
        done=lambda _saved: redirect("training_session", reference=session.reference),
        title=_("Edit %s") % session.reference,
    )


@login_required
@require_POST
def training_session_move(request, reference):
    session = training.get_session_for(request.user, reference, write=True)
    status_move_apply(
        request,
        SessionMoveForm(request.POST),
        lambda data: training.session_transition(
            actor=request.user, session=session, target=data["target"]
        ),
    )
    return redirect("training_session", reference=session.reference)


@login_required
@require_POST
def training_attendance(request, reference):
    session = training.get_session_for(request.user, reference, attendance=True)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("training_session", reference=session.reference)
    data = dict(form.cleaned_data)
    row = session.attendances.select_related("person").filter(person_id=data.pop("person")).first()
    if row is None:
        raise Http404
    try:
        row = training.attendance_record(
            actor=request.user, session=session, person=row.person, **data
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        if row.level_raised:
            message = _("Recorded for %(name)s; the competence level was raised.")
        else:
            message = _("Recorded for %(name)s.")
        messages.success(request, message % {"name": row.person})
    return redirect("training_session", reference=session.reference)


@login_required
def training_courses(request):
    services.require_staff(request.user)
    courses = (
        TrainingCourse.objects.select_related("competence")
        .annotate(session_count=Count("sessions"))
        .order_by("title")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "training-courses", COURSE_COLUMNS, courses)
    context = {"courses": courses, "can_edit": services.competence_may_edit(request.user)}
    return render(request, "support/training_courses.html", context)


@login_required
def training_course_new(request):
    services.require_edit(request.user)
    return form_page_save(
        request,
        CourseForm(request.POST or None),
        save=lambda data: training.course_create(
            actor=request.user, **data_without(data, "is_active")
        ),
        saved=_("Course saved."),
        done=lambda _saved: redirect("training_courses"),
        title=_("New course"),
    )


@login_required
def training_course_edit(request, pk):
    course = training.get_course_for(request.user, pk, write=True)
    initial = {
        "title": course.title,
        "description": course.description,
        "competence": course.competence_id,
        "raises_to_level": course.raises_to_level,
        "validity_months": course.validity_months,
        "duration_hours": course.duration_hours,
        "is_active": course.is_active,
    }
    return form_page_save(
        request,
        CourseForm(request.POST or None, initial=initial),
        save=lambda data: training.course_update(actor=request.user, course=course, **data),
        saved=_("Course saved."),
        done=lambda _saved: redirect("training_courses"),
        title=_("Edit %s") % course.title,
    )
