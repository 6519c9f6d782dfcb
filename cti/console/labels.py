"""Russian labels of the journal's vocabularies, and Russian messages for its errors."""

from __future__ import annotations

from journal import IllegalTransition

STATUS = {
    "new": "Новая", "accepted": "Принята", "assigned": "Назначена", "in_progress": "В работе",
    "postponed": "Отложена", "done": "Выполнена", "cannot_be_done": "Невозможно выполнить",
    "closed": "Закрыта", "cancelled": "Отменена", "reopened": "Открыта повторно",
}
PRIORITY = {"emergency": "Аварийная", "urgent": "Срочная", "planned": "Плановая"}
CHANNEL = {
    "phone_ivr": "Телефон (автоответчик)", "phone_dispatcher": "Телефон (диспетчер)", "walk_in": "Личный приём",
    "web": "Сайт", "written": "Письменное обращение",
    "training": "Учебный звонок",
}
# Channels a dispatcher may pick when taking a request directly.
MANUAL_CHANNELS = ("phone_dispatcher", "walk_in", "written", "web")
PRESENCE = {"on_line": "На линии", "break": "Перерыв", "off_shift": "Не на смене"}
ROLE = {"dispatcher": "Диспетчер", "executor": "Исполнитель", "qa": "Контроль качества", "admin": "Администратор"}
CALLBACK_OUTCOME = {
    "reached": "Дозвонились", "ticket_created": "Создана заявка", "no_answer": "Не отвечает", "busy": "Занято",
    "wrong_number": "Ошибочный номер", "not_needed": "Не требуется",
}
HISTORY_KIND = {
    "created": "Создана", "status": "Статус", "assignment": "Назначение", "edit": "Изменение",
    "comment": "Комментарий", "attachment": "Вложение", "repeat": "Повторное обращение",
    "transcript": "Расшифровка", "feedback": "Отзыв", "handover": "Передача",
}
# Why the words of a call make it an emergency (ivr/nlu/emergency.py; "meaning": the model alone).
EMERGENCY_REASON = {
    "flooding": "затопление", "burst_pipe": "прорыв трубы", "hot_water_leak": "течь горячей воды",
    "sparking": "искрение", "smoke": "дым, возгорание", "exposed_wires": "оголённые или оборванные провода",
    "lift_person_stuck": "человек в лифте", "gas_smell": "запах газа", "falling_ice": "падение льда или снега",
    "falling_roofing": "падение кровли, частей здания", "sewage_overflow": "излив канализации",
    "meaning": "похоже на аварию по смыслу слов",
}
# The voice menu's call states (menu, recording, waiting, talking, ended) and those of older producers.
CALL_STATE = {"menu": "Голосовое меню", "recording": "Запись обращения", "waiting": "Ждёт диспетчера",
              "talking": "Разговор", "ringing": "Звонок", "ivr": "Автоответчик", "queued": "В очереди",
              "answered": "Разговор", "ended": "Завершён"}
MISSED_REASON = {"hangup": "Абонент положил трубку", "no_message": "Диспетчер не ответил, сообщение не оставлено",
                 "error": "Сбой при обработке вызова", "registration_failed": "Заявка не зарегистрирована (сбой)",
                 "service_restart": "Вызов прерван перезапуском сервера"}
CALL_STEP = {"start": "в начале", "greeting": "на приветствии", "open_ticket_menu": "в меню открытой заявки",
             "category_menu": "в меню выбора категории", "record_prompt": "перед записью",
             "recording": "во время записи", "understanding": "при распознавании", "confirming": "при подтверждении",
             "registering": "при регистрации заявки", "waiting_dispatcher": "в ожидании диспетчера",
             "with_dispatcher": "в разговоре с диспетчером", "ending": "в конце разговора", "ended": "после завершения"}


def missed_reason(reason: str, step: str | None) -> str:
    """«Абонент положил трубку на приветствии» instead of ``hangup (greeting)``."""
    text = MISSED_REASON.get(reason, reason)
    if not step:
        return text
    waited = step.startswith("no_dispatcher/")
    step = step.removeprefix("no_dispatcher/")
    where = CALL_STEP.get(step, step)
    return f"{text} {where}" + (" (диспетчер не ответил)" if waited else "")
FIELDS = {
    "category": "категория", "priority": "приоритет", "problem": "проблема", "status": "статус",
    "building_id": "дом", "apartment": "квартира", "address_text": "адрес", "description": "описание",
    "caller_name": "имя заявителя", "caller_phone": "телефон", "comment": "комментарий", "channel": "канал",
    "outcome": "результат звонка", "executor_id": "исполнитель", "result": "результат", "file": "файл",
    "path": "путь", "suffix": "тип файла", "rating": "оценка", "received_at": "время поступления",
    "recording": "запись", "photo": "фото", "localized_at": "локализована", "transcript_status": "расшифровка",
    "due_at": "срок устранения", "localize_due_at": "срок локализации", "sla_rule": "норматив",
    "login": "логин", "full_name": "ФИО", "role": "роль", "extension": "внутренний номер", "phone": "телефон",
    "password": "пароль", "street": "улица", "street_type": "тип улицы", "house": "дом", "building": "корпус",
    "entrances": "подъезды", "floors": "этажи", "apartments": "квартиры", "lifts": "лифты", "company_code": "код",
    "fias_id": "ФИАС/ГАР", "district": "район", "name": "ФИО", "other_phones": "другие телефоны",
    "shift": "смена", "weekday": "день недели", "time": "время", "pattern": "график", "leave": "отпуск",
    "text": "текст", "public": "публичный", "auto_assign": "назначить автоматически", "number": "номер",
    "from": "с", "to": "по", "open_only": "только открытые", "overdue": "просроченные", "due_soon": "срок в течение часа",
    "unassigned": "без исполнителя", "limit": "число строк", "offset": "начиная с", "ticket_id": "заявка",
    "active": "активна", "all": "все",
}
ACTORS = {"system:ivr": "Автоответчик", "system:assignment": "Автоназначение", "system:asr": "Распознавание речи"}
WHAT = {"ticket": "заявка", "executor": "исполнитель", "building": "дом", "recording": "запись",
        "user": "пользователь", "resident": "житель", "day_change": "изменение графика",
        "leave": "отпуск", "missed call": "пропущенный вызов", "call": "вызов", "attachment": "вложение"}
HTTP_STATUS = {
    400: "Неверный запрос", 401: "Требуется вход", 403: "Недостаточно прав", 404: "Не найдено",
    405: "Метод не поддерживается", 409: "Конфликт", 413: "Файл слишком большой", 415: "Неподдерживаемый тип",
    422: "Недопустимое значение", 429: "Слишком много попыток", 500: "Внутренняя ошибка",
}
CATEGORY_FALLBACK = {
    "water": "Водоснабжение", "sewer": "Канализация", "heating": "Отопление", "electricity": "Электроснабжение",
    "elevator": "Лифт", "gas": "Газ", "roof": "Кровля", "common_property": "Общее имущество",
    "cleaning": "Уборка, двор, мусор", "other": "Прочее",
}


def illegal_transition(exc: IllegalTransition) -> str:
    allowed = ", ".join(f"«{STATUS.get(s, s)}»" for s in sorted(exc.allowed)) or "нет"
    return (f"Нельзя перевести заявку из статуса «{STATUS.get(exc.current, exc.current)}» "
            f"в «{STATUS.get(exc.wanted, exc.wanted)}». Допустимо: {allowed}.")


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 заявка, 2 заявки, 5 заявок, 21 заявка, 11 заявок."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many
