"""Built-in message texts for every event in every supported language, used when a
business has not saved its own template. SMS texts in English and Swahili stay inside
the GSM-7 alphabet (one SMS is 160 characters, not 70); Hindi and Arabic are UCS-2 by
nature. Each event uses only the placeholders it offers (templates.EVENT_PLACEHOLDERS)."""

from __future__ import annotations

from domain.notifications.vocabulary import Channel, Event

# language -> event -> (email subject, the sentence that carries the news)
_TEXTS: dict[str, dict[Event, tuple[str, str]]] = {
    "en": {
        Event.INVOICE_SENT: (
            "Invoice {{invoice_number}} from {{business}}",
            "Invoice {{invoice_number}} for {{amount}}, due {{due_date}}. Pay: {{link}}",
        ),
        Event.PAYMENT_RECEIPT: (
            "Payment received - {{business}}",
            "Received {{amount}} for {{invoice_number}}. Thank you, {{name}}!",
        ),
        Event.PAYMENT_REMINDER: (
            "Reminder: invoice {{invoice_number}} is due {{due_date}}",
            "Reminder: {{amount}} on invoice {{invoice_number}} is due {{due_date}}. Pay: {{link}}",
        ),
        Event.ORDER_STATUS: (
            "Order {{order_number}}: {{status}}",
            "Your order {{order_number}} is now {{status}}. Track: {{link}}",
        ),
        Event.WELCOME: (
            "Welcome to {{business}}",
            "Welcome to {{business}}, {{name}}! Your invoices and orders: {{link}}",
        ),
        Event.STATEMENT: (
            "Your statement from {{business}}",
            "Your statement to {{date}} is ready, balance {{amount}}. View: {{link}}",
        ),
        Event.CAMPAIGN: ("{{business}}: a special offer for you", "{{offer}}"),
    },
    "hi": {
        Event.INVOICE_SENT: (
            "{{business}} से बिल {{invoice_number}}",
            "बिल {{invoice_number}}, राशि {{amount}}, देय तिथि {{due_date}}। भुगतान करें: {{link}}",
        ),
        Event.PAYMENT_RECEIPT: (
            "भुगतान प्राप्त हुआ - {{business}}",
            "बिल {{invoice_number}} के लिए {{amount}} प्राप्त हुए। धन्यवाद, {{name}}!",
        ),
        Event.PAYMENT_REMINDER: (
            "याद दिलाना: बिल {{invoice_number}} {{due_date}} तक देय",
            "याद दिलाना: बिल {{invoice_number}} के {{amount}} {{due_date}} तक देय हैं। "
            "भुगतान करें: {{link}}",
        ),
        Event.ORDER_STATUS: (
            "ऑर्डर {{order_number}}: {{status}}",
            "आपका ऑर्डर {{order_number}} अब {{status}} है। देखें: {{link}}",
        ),
        Event.WELCOME: (
            "{{business}} में आपका स्वागत है",
            "{{business}} में आपका स्वागत है, {{name}}! आपके बिल और ऑर्डर: {{link}}",
        ),
        Event.STATEMENT: (
            "{{business}} से आपका खाता विवरण",
            "{{date}} तक का आपका खाता विवरण तैयार है, बकाया {{amount}}। देखें: {{link}}",
        ),
        Event.CAMPAIGN: ("{{business}}: आपके लिए खास ऑफ़र", "{{offer}}"),
    },
    "sw": {
        Event.INVOICE_SENT: (
            "Ankara {{invoice_number}} kutoka {{business}}",
            "Ankara {{invoice_number}} ya {{amount}}, inadaiwa {{due_date}}. Lipa: {{link}}",
        ),
        Event.PAYMENT_RECEIPT: (
            "Malipo yamepokelewa - {{business}}",
            "Tumepokea {{amount}} kwa ankara {{invoice_number}}. Asante, {{name}}!",
        ),
        Event.PAYMENT_REMINDER: (
            "Ukumbusho: ankara {{invoice_number}} inadaiwa {{due_date}}",
            "Ukumbusho: {{amount}} ya ankara {{invoice_number}} inadaiwa {{due_date}}. "
            "Lipa: {{link}}",
        ),
        Event.ORDER_STATUS: (
            "Oda {{order_number}}: {{status}}",
            "Oda yako {{order_number}} sasa ni {{status}}. Fuatilia: {{link}}",
        ),
        Event.WELCOME: (
            "Karibu {{business}}",
            "Karibu {{business}}, {{name}}! Ankara na oda zako: {{link}}",
        ),
        Event.STATEMENT: (
            "Taarifa yako kutoka {{business}}",
            "Taarifa yako hadi {{date}} iko tayari, salio {{amount}}. Tazama: {{link}}",
        ),
        Event.CAMPAIGN: ("{{business}}: ofa maalum kwako", "{{offer}}"),
    },
    "ar": {
        Event.INVOICE_SENT: (
            "الفاتورة {{invoice_number}} من {{business}}",
            "الفاتورة {{invoice_number}} بمبلغ {{amount}}، تستحق في {{due_date}}. للدفع: {{link}}",
        ),
        Event.PAYMENT_RECEIPT: (
            "تم استلام الدفعة - {{business}}",
            "استلمنا {{amount}} للفاتورة {{invoice_number}}. شكراً لك، {{name}}!",
        ),
        Event.PAYMENT_REMINDER: (
            "تذكير: الفاتورة {{invoice_number}} مستحقة في {{due_date}}",
            "تذكير: مبلغ {{amount}} للفاتورة {{invoice_number}} مستحق في {{due_date}}. "
            "للدفع: {{link}}",
        ),
        Event.ORDER_STATUS: (
            "الطلب {{order_number}}: {{status}}",
            "طلبك {{order_number}} أصبح الآن {{status}}. للمتابعة: {{link}}",
        ),
        Event.WELCOME: (
            "أهلاً بك في {{business}}",
            "أهلاً بك في {{business}}، {{name}}! فواتيرك وطلباتك: {{link}}",
        ),
        Event.STATEMENT: (
            "كشف حسابك من {{business}}",
            "كشف حسابك حتى {{date}} جاهز، الرصيد {{amount}}. للعرض: {{link}}",
        ),
        Event.CAMPAIGN: ("{{business}}: عرض خاص لك", "{{offer}}"),
    },
}

# language -> (email greeting, email sign-off, SMS opt-out line for campaigns)
_FRAME = {
    "en": ("Hello {{name}},", "Thank you,", "Reply STOP to opt out."),
    "hi": ("नमस्ते {{name}},", "धन्यवाद,", "बंद करने के लिए STOP भेजें।"),
    "sw": ("Habari {{name}},", "Asante,", "Tuma STOP kujiondoa."),
    "ar": ("مرحباً {{name}}،", "مع الشكر،", "أرسل STOP لإلغاء الاشتراك."),
}

LANGUAGES = tuple(_TEXTS)


def default_text(channel: Channel, event: Event, language: str) -> tuple[str | None, str]:
    """(subject, body) of the built-in template; English for a language without one."""
    lang = language if language in _TEXTS else "en"
    subject, news = _TEXTS[lang][event]
    greeting, sign_off, stop = _FRAME[lang]
    if channel is Channel.SMS:
        if event is Event.WELCOME:
            return None, news
        tail = f" {stop}" if event is Event.CAMPAIGN else ""
        return None, f"{{{{business}}}}: {news}{tail}"
    return subject, f"{greeting}\n\n{news}\n\n{sign_off}\n{{{{business}}}}"
