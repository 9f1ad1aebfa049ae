"""The words of the web pages, in French and in English.

The pages take the language from ``?lang=`` (the switch link), then the ``registre_lang``
cookie it sets, then the browser's Accept-Language, then the register's first language.
French strings use a no-break space before ``:``, ``?`` and ``;`` as French typography asks.
"""

from __future__ import annotations

import re

from starlette.requests import Request

LANGS = ("fr", "en")
LANG_COOKIE = "registre_lang"
_FRENCH_SPACE = re.compile(r" ([:;?!»])")

WORDS: dict[str, tuple[str, str]] = {
    # key: (fr, en)
    "skip": ("Aller au contenu", "Skip to content"),
    "privacy_center": ("Espace vie privée", "Privacy center"),
    "other_lang": ("English", "Français"),
    "home": ("Accueil", "Home"),
    "policy": ("Politique de confidentialité", "Privacy policy"),
    "make_request": ("Exercer vos droits", "Exercise your rights"),
    "intro": (
        "Vous trouverez ici ce que {org} fait de vos données, et vous pouvez exercer vos droits "
        "en ligne : nous vous envoyons un code par courriel pour confirmer que l'adresse est "
        "la vôtre.",
        "Here is what {org} does with your data, and you can exercise your rights online: we "
        "send you a code by email to confirm that the address is yours.",
    ),
    "activities": ("Nos traitements", "What we process your data for"),
    "activity": ("Traitement", "Processing"),
    "purpose": ("Finalité", "Purpose"),
    "processors": ("Nos sous-traitants", "Our processors"),
    "processor": ("Sous-traitant", "Processor"),
    "service": ("Service", "Service"),
    "country": ("Pays", "Country"),
    "not_stated": ("non précisé", "not stated"),
    "transfers": ("Transferts hors de l'EEE", "Transfers outside the EEA"),
    "safeguard": ("Garantie", "Safeguard"),
    "no_transfers": (
        "Aucune donnée n'est transférée hors de l'Espace économique européen.",
        "No data is transferred outside the European Economic Area.",
    ),
    "read_policy": ("Lire la politique complète", "Read the full policy"),
    "form_title": ("Exercer vos droits", "Exercise your rights"),
    "form_intro": (
        "Choisissez votre demande et indiquez l'adresse électronique sous laquelle nous vous "
        "connaissons. Nous y enverrons un code à six chiffres.",
        "Choose your request and give the email address we know you by. We will send a "
        "six-digit code to it.",
    ),
    "right": ("Votre demande", "Your request"),
    "kind_access": ("Accéder à mes données (art. 15)", "Access my data (Art. 15)"),
    "kind_portability": (
        "Recevoir mes données dans un format réutilisable (art. 20)",
        "Receive my data in a reusable format (Art. 20)",
    ),
    "kind_erasure": ("Effacer mes données (art. 17)", "Erase my data (Art. 17)"),
    "kind_rectification": ("Corriger mes données (art. 16)", "Correct my data (Art. 16)"),
    "kind_restriction": ("Limiter l'usage de mes données (art. 18)", "Restrict my data (Art. 18)"),
    "kind_objection": ("M'opposer à un traitement (art. 21)", "Object to processing (Art. 21)"),
    "email": ("Adresse électronique", "Email address"),
    "email_help": (
        "Elle ne sert qu'à cette demande.",
        "It is used for this request only.",
    ),
    "answer_lang": ("Langue de la réponse", "Language of the answer"),
    "french": ("Français", "French"),
    "english": ("Anglais", "English"),
    "rectification": ("Corrections (pour une demande de correction)", "Corrections (to correct)"),
    "field": ("Donnée à corriger", "Data to correct"),
    "new_value": ("Nouvelle valeur", "New value"),
    "objection": (
        "Traitements concernés (pour une opposition ou une limitation)",
        "Processing concerned (to object or restrict)",
    ),
    "send_code": ("Recevoir le code", "Send me the code"),
    "code_title": ("Saisissez votre code", "Enter your code"),
    "code_sent": (
        "Si cette adresse peut recevoir des messages, un code à six chiffres vient d'y être "
        "envoyé. Il est valable {minutes} minutes.",
        "If this address can receive mail, a six-digit code has just been sent to it. It is "
        "valid for {minutes} minutes.",
    ),
    "code": ("Code à six chiffres", "Six-digit code"),
    "confirm": ("Confirmer ma demande", "Confirm my request"),
    "new_code": ("Recevoir un nouveau code", "Send a new code"),
    "new_code_sent": ("Un nouveau code a été envoyé.", "A new code was sent."),
    "verified_title": ("Votre demande est enregistrée", "Your request is recorded"),
    "request_number": ("Numéro de votre demande", "Your request number"),
    "due": ("Réponse au plus tard le", "Answer due by"),
    "status_link": (
        "Suivez votre demande à cette adresse, gardez-la pour vous :",
        "Follow your request at this address; keep it to yourself:",
    ),
    "status_title": ("Suivi de votre demande", "Your request"),
    "state": ("État", "State"),
    "state_received": ("reçue", "received"),
    "state_identity_to_verify": ("identité à vérifier", "identity to check"),
    "state_in_progress": ("en cours", "in progress"),
    "state_extended": ("prolongée", "extended"),
    "state_done": ("traitée", "done"),
    "state_refused": ("refusée", "refused"),
    "state_forwarded": ("transmise au responsable", "forwarded to the controller"),
    "extension": ("Délai prolongé", "Deadline extended"),
    "reason": ("Motif", "Reason"),
    "letter": ("Notre réponse", "Our answer"),
    "read_letter": ("Lire la lettre de réponse", "Read the answer letter"),
    "export": (
        "Le lien de téléchargement de vos données vous a été envoyé par courriel ; il ne sert "
        "qu'une fois et expire le {date}.",
        "The download link of your data was sent to you by email; it works once and expires "
        "on {date}.",
    ),
    "unknown_link": (
        "Ce lien de suivi n'est pas valable.",
        "This status link is not valid.",
    ),
    "error": ("Erreur", "Error"),
    "csrf": (
        "Le formulaire a expiré ou ne vient pas de cette page ; rechargez la page et recommencez.",
        "The form expired or did not come from this page; reload the page and try again.",
    ),
    "not_found": ("Cette page n'existe pas.", "This page does not exist."),
    "failed": (
        "Le service n'a pas pu traiter cette demande ; réessayez plus tard.",
        "The service could not handle this; please try again later.",
    ),
    "problem": ("Le formulaire contient une erreur :", "The form has an error:"),
    # the console
    "console": ("Console du DPO", "DPO console"),
    "sign_in": ("Se connecter", "Sign in"),
    "sign_out": ("Se déconnecter", "Sign out"),
    "user": ("Utilisateur", "User"),
    "password": ("Mot de passe", "Password"),
    "wrong_login": ("Nom ou mot de passe incorrect.", "Wrong user name or password."),
    "cookie_settings": ("Gérer les cookies", "Cookie settings"),
    "unsubscribe_title": ("Se désabonner", "Unsubscribe"),
    "unsubscribe_intro": (
        "Ce lien retire le consentement que vous nous aviez donné. Ce que ce consentement seul "
        "nous permettait de garder sera effacé.",
        "This link withdraws the consent you gave us. What this consent alone allowed us to "
        "keep will be erased.",
    ),
    "unsubscribe_confirm": ("Retirer mon consentement", "Withdraw my consent"),
    "unsubscribed_title": ("Consentement retiré", "Consent withdrawn"),
    "withdrawn_on": ("Retiré le", "Withdrawn on"),
    "withdrawal_erased": (
        "Ce que ce consentement seul nous permettait de garder a été effacé ou anonymisé.",
        "What this consent alone allowed us to keep has been erased or anonymized.",
    ),
    "withdrawal_other_basis": (
        "Ce traitement repose aussi sur une autre base légale : vos données ne sont pas "
        "effacées, mais nous ne les utilisons plus sur la base de votre consentement.",
        "This processing also rests on another legal basis: your data is not erased, but we "
        "no longer use it on the basis of your consent.",
    ),
    "withdrawal_cookie": (
        "Votre choix de cookies est enregistré.",
        "Your cookie choice is recorded.",
    ),
    "withdrawal_no_activity": (
        "Ce traitement n'existe plus : il n'y a rien à effacer.",
        "This processing no longer exists: there is nothing to erase.",
    ),
    "withdrawal_lawful_before": (
        "Ce qui a été fait avant ce retrait reste licite (article 7.3 du RGPD).",
        "What was done before this withdrawal remains lawful (GDPR Article 7(3)).",
    ),
    "bad_link": (
        "Ce lien de désabonnement n'est pas valable : il a été modifié ou ne vient pas de "
        "nous. Utilisez le lien d'un message récent, ou écrivez-nous.",
        "This unsubscribe link is not valid: it was altered or does not come from us. Use the "
        "link of a recent message, or write to us.",
    ),
    "withdrawal_failed": (
        "Votre retrait n'a pas pu être enregistré. Réessayez plus tard, ou écrivez-nous.",
        "Your withdrawal could not be recorded. Try again later, or write to us.",
    ),
    "withdraw_title": ("Retirer un consentement", "Withdraw a consent"),
    "withdraw_intro": (
        "Vous pouvez retirer à tout moment un consentement donné, aussi simplement que vous "
        "l'avez donné. Les messages que nous vous envoyons contiennent un lien de "
        "désabonnement ; sans lui, choisissez le traitement ci-dessous : nous vous envoyons un "
        "code pour confirmer votre adresse, puis nous effaçons ce que ce consentement seul "
        "nous permettait de garder.",
        "You may withdraw a consent at any time, as easily as you gave it. The messages we send "
        "you carry an unsubscribe link; without it, choose the processing below: we send you a "
        "code to confirm your address, then erase what that consent alone allowed us to keep.",
    ),
    "withdraw_this": ("Retirer mon consentement : {name}", "Withdraw my consent: {name}"),
    "withdraw_none": (
        "Aucun de nos traitements ne repose sur votre consentement.",
        "None of our processing rests on your consent.",
    ),
    "withdraw_cookies": (
        "Pour les cookies, changez votre choix à tout moment :",
        "For cookies, change your choice at any time:",
    ),
    "forward": ("Transmettre au responsable du traitement", "Forward to the controller"),
    "forward_hint": (
        "Pour les données que nous traitons pour un client : les lettres au client et à la "
        "personne sont écrites.",
        "For data we process for a client: the letters to the client and to the person are "
        "written.",
    ),
    "instruction": (
        "Instruction du responsable (où, quand)",
        "The controller's instruction (where, when)",
    ),
    "tenant": ("Client (s'il y en a plusieurs)", "Client (when there are several)"),
    "instruct": ("Enregistrer l'instruction", "Record the instruction"),
    "lift": ("Lever la limitation", "Lift the restriction"),
    "sweeps": ("Purges", "Sweeps"),
    "see_plan": ("Ce qu'une purge ferait, à une date choisie", "What a sweep would do, on a day"),
    "plan_at": ("Date", "Day"),
    "show": ("Afficher", "Show"),
    "sweep_job": ("Purge de {store} (tâche {job}).", "Sweep of {store} (job {job})."),
    "job_state": ("État", "State"),
    "job_queued": ("en attente", "queued"),
    "job_running": ("en cours", "running"),
    "job_done": ("terminée", "done"),
    "job_failed": ("échouée", "failed"),
    "refresh": ("Actualiser", "Refresh"),
    "run_sweep": ("Lancer une purge maintenant", "Run a sweep now"),
    "run_sweep_hint": (
        "Supprime ou anonymise ce qui est échu à cet instant, comme le plan l'indique ; les "
        "gels et les limitations sont respectés.",
        "Deletes or anonymizes what is due at this instant, as the plan shows; holds and "
        "restrictions are respected.",
    ),
    "runs": ("Purges passées", "Past sweeps"),
    "run": ("Purge", "Sweep"),
    "stores": ("Bases", "Stores"),
    "changed": ("Lignes modifiées", "Rows changed"),
    "per_rule": ("Par règle", "Per rule"),
    "register": ("Registre", "Register"),
    "organization": ("Organisme", "Organization"),
    "register_version": ("Version du registre", "Register version"),
    "digest": ("Empreinte", "Digest"),
    "documents": ("Documents", "Documents"),
    "ropa_download": (
        "Registre des activités de traitement (art. 30), XLSX",
        "Record of processing activities (Art. 30), XLSX",
    ),
    "policy_preview": ("Aperçu de la politique", "Policy preview"),
    "lint": ("Points à revoir", "Findings"),
    "code_lint": ("Code", "Code"),
    "severity": ("Gravité", "Severity"),
    "finding": ("Constat", "Finding"),
    "reference": ("Référence", "Reference"),
    "lint_clean": ("Aucun point à revoir.", "No findings."),
    "users": ("Utilisateurs", "Users"),
    "role": ("Rôle", "Role"),
    "created": ("Créé le", "Created"),
    "remove": ("Retirer", "Remove"),
    "add_user": ("Ajouter un utilisateur", "Add a user"),
    "password_hint": ("Au moins 12 caractères.", "At least 12 characters."),
    "tokens": ("Jetons d'API", "API tokens"),
    "name": ("Nom", "Name"),
    "token_once": (
        "Le jeton {name} est créé. Copiez-le maintenant : il ne sera plus affiché.",
        "Token {name} is created. Copy it now: it will not be shown again.",
    ),
    "revoked": ("révoqué par {by}", "revoked by {by}"),
    "revoke": ("Révoquer", "Revoke"),
    "expires": ("Expire le", "Expires"),
    "create_token": ("Créer un jeton", "Create a token"),
    "too_many_sign_ins_account": (
        "Trop de connexions ont échoué pour ce nom dans l'heure : réessayez dans une heure, "
        "ou demandez au DPO de changer le mot de passe.",
        "Too many sign-ins failed for this name in the last hour: try again in an hour, "
        "or ask the DPO to reset the password.",
    ),
    "too_many_sign_ins_source": (
        "Trop de connexions ont échoué depuis votre adresse réseau dans l'heure : réessayez "
        "dans une heure.",
        "Too many sign-ins failed from your network address in the last hour: try again in an "
        "hour.",
    ),
    "signed_in_as": ("Connecté : {name} ({role})", "Signed in: {name} ({role})"),
    "queue": ("Demandes", "Requests"),
    "holds": ("Gels", "Holds"),
    "audit": ("Journal d'audit", "Audit trail"),
    "plan": ("Plan de purge", "Sweep plan"),
    "all": ("toutes", "all"),
    "kind": ("Type", "Kind"),
    "status": ("Échéance", "Deadline"),
    "status_late": ("en retard", "late"),
    "status_due_soon": ("bientôt due", "due soon"),
    "status_on_time": ("dans les temps", "on time"),
    "status_closed": ("close", "closed"),
    "filter": ("Filtrer", "Filter"),
    "number": ("Numéro", "Number"),
    "received": ("Reçue le", "Received"),
    "none": ("Aucune.", "None."),
    "total": ("{n} demande(s)", "{n} request(s)"),
    "history": ("Historique", "History"),
    "when": ("Quand", "When"),
    "action": ("Action", "Action"),
    "by": ("Par", "By"),
    "details": ("Détails", "Details"),
    "identity": ("Identité", "Identity"),
    "identity_method": ("Vérification", "Verification"),
    "actions": ("Actions", "Actions"),
    "verify": ("Vérifier l'identité", "Verify the identity"),
    "method": ("Comment l'identité a été vérifiée", "How the identity was checked"),
    "execute": ("Exécuter", "Execute"),
    "execute_queued": (
        "L'exécution est lancée (tâche {job}) ; la lettre partira quand elle sera finie.",
        "Execution started (job {job}); the letter goes out when it is done.",
    ),
    "extend": ("Prolonger le délai", "Extend the deadline"),
    "refuse": ("Refuser", "Refuse"),
    "done_ok": ("C'est fait.", "Done."),
    "no_action_state": (
        "Aucune action ne reste possible dans cet état.",
        "No action is left in this state.",
    ),
    "found": ("Ce qui a été trouvé", "What was found"),
    "rows": ("Lignes", "Rows"),
    "no_action": ("Votre rôle ne permet aucune action ici.", "Your role allows no action here."),
    "place_hold": ("Placer un gel", "Place a hold"),
    "hold_email": ("Adresse électronique de la personne", "The person's email address"),
    "until": ("Jusqu'au (facultatif)", "Until (optional)"),
    "release": ("Lever", "Release"),
    "placed_by": ("Placé par", "Placed by"),
    "target": ("Objet", "Target"),
    "verify_trail": ("Vérifier la chaîne", "Verify the chain"),
    "intact": (
        "Chaîne intacte : {n} entrées, tête {head}.",
        "Chain intact: {n} entries, head {head}.",
    ),
    "broken": ("Chaîne rompue :", "Chain broken:"),
    "since": ("Après l'entrée n°", "After entry #"),
    "prefix": ("Action commençant par", "Action starting with"),
    "next_page": ("Page suivante", "Next page"),
    "store": ("Base", "Store"),
    "rule": ("Règle", "Rule"),
    "table": ("Table", "Table"),
    "rows_due": ("Dues", "Due"),
    "held": ("Retenues", "Held"),
    "blocked": ("Bloquées", "Blocked"),
    "at": ("Au", "At"),
    # a request's kind and the steps of its history, as the console names them
    "kindname_access": ("accès", "access"),
    "kindname_portability": ("portabilité", "portability"),
    "kindname_erasure": ("effacement", "erasure"),
    "kindname_rectification": ("rectification", "rectification"),
    "kindname_restriction": ("limitation", "restriction"),
    "kindname_objection": ("opposition", "objection"),
    "act_open": ("reçue", "received"),
    "act_verify": ("identité vérifiée", "identity verified"),
    "act_doubt": ("identité mise en doute", "identity doubted"),
    "act_execute": ("exécutée", "carried out"),
    "act_extend": ("délai prolongé", "deadline extended"),
    "act_refuse": ("refusée", "refused"),
    "act_forward": ("transmise au responsable", "forwarded to the controller"),
    "act_instruct": ("instruction du responsable", "the controller's instruction"),
    "act_lift": ("limitation levée", "restriction lifted"),
    "changes_head": ("Corrections demandées", "Corrections asked"),
    "activities_head": ("Traitements concernés", "Processing concerned"),
    "a_field": ("un champ", "a field"),
    "fill_in": ("À remplir ou corriger : {fields}", "Fill in or correct: {fields}"),
    # the register of breaches
    "breaches": ("Violations", "Breaches"),
    "breach": ("Violation", "Breach"),
    "breaches_intro": (
        "Le registre des violations de données (article 33.5 du RGPD) : les plus urgentes "
        "d'abord, avec le temps qui reste pour prévenir la CNIL (72 heures après la prise de "
        "connaissance) et, quand nous sommes sous-traitant, le client.",
        "The register of personal data breaches (GDPR Article 33(5)): the most urgent first, "
        "with the time left to notify the authority (72 hours from awareness) and, when we "
        "are the processor, the client.",
    ),
    "no_breaches": ("Aucune violation n'est enregistrée.", "No breach is recorded."),
    "breach_summary": ("Ce qui s'est passé", "What happened"),
    "aware_at": ("Prise de connaissance", "Became aware"),
    "aware_hint": (
        "Le délai de 72 heures court à partir de ce moment (heure locale du registre).",
        "The 72-hour clock starts then (the register's local time).",
    ),
    "time_left_head": ("Temps restant", "Time left"),
    "time_left": ("reste {span}", "{span} left"),
    "late_by": ("en retard de {span}", "late by {span}"),
    "no_clock_running": ("aucun délai en cours", "no clock running"),
    "breach_open": ("ouverte", "open"),
    "breach_closed": ("close", "closed"),
    "risk": ("Risque", "Risk"),
    "risk_level": ("Niveau de risque", "Level of risk"),
    "risk_unlikely": (
        "risque peu probable (documentation seulement)",
        "unlikely to result in a risk (documented only)",
    ),
    "risk_risk": ("risque (notification à la CNIL)", "a risk (the authority is notified)"),
    "risk_high": (
        "risque élevé (CNIL et personnes informées)",
        "a high risk (the authority and the people are told)",
    ),
    "not_assessed": ("non évalué", "not assessed"),
    "not_assessed_long": (
        "Le risque n'est pas encore évalué : tout est dû tant qu'il ne l'est pas.",
        "The risk is not assessed yet: everything is owed until it is.",
    ),
    "risk_reasons": ("Motifs", "Reasons"),
    "consequences": ("Conséquences probables", "Likely consequences"),
    "measures": ("Mesures prises ou envisagées", "Measures taken or proposed"),
    "advice": ("Ce que les personnes peuvent faire", "What people can do"),
    "people_not_told": (
        "Pourquoi les personnes ne sont pas informées (art. 34.3)",
        "Why people are not told (Art. 34(3))",
    ),
    "owed": ("Ce qui est dû", "What is owed"),
    "owed_document": ("la documentation", "documentation"),
    "owed_authority": ("la notification à la CNIL", "notifying the authority"),
    "owed_controller": ("l'information du client", "telling the client"),
    "owed_people": ("l'information des personnes", "telling the people"),
    "nature": ("Nature", "Nature"),
    "systems": (
        "Systèmes concernés (séparés par des virgules)",
        "Systems affected (comma-separated)",
    ),
    "breach_source": ("Origine", "Source"),
    "as_processor": (
        "Nous traitons ces données pour des clients (sous-traitant)",
        "We process this data for clients (as a processor)",
    ),
    "role_in_breach": ("Notre rôle", "Our role"),
    "open_breach": ("Enregistrer une violation", "Record a breach"),
    "clocks": ("Délais", "Clocks"),
    "notify_whom": ("Qui prévenir", "Who is told"),
    "deadline": ("Échéance", "Deadline"),
    "to_authority": ("la CNIL", "the authority (CNIL)"),
    "to_controller": ("le client (responsable du traitement)", "the client (the controller)"),
    "to_people": ("les personnes concernées", "the people affected"),
    "clock_not_owed": ("non due (risque peu probable)", "not owed (risk unlikely)"),
    "clock_done": ("notifiée à temps", "notified in time"),
    "clock_done_late": ("notifiée en retard", "notified late"),
    "clock_undated": ("dans les meilleurs délais", "without undue delay"),
    "affected": ("Personnes et données concernées", "People and data affected"),
    "scope_targets": ("Ce qui est atteint", "What was reached"),
    "tenant_short": ("client", "client"),
    "window": ("période", "window"),
    "people_affected": ("Personnes concernées", "People affected"),
    "records_affected": ("Enregistrements concernés", "Records affected"),
    "counted_at": ("comptées le {when}", "counted on {when}"),
    "subject_category": ("Catégorie de personnes", "Category of people"),
    "people_count": ("Personnes", "People"),
    "data_category": ("Catégorie de données", "Data category"),
    "records_count": ("Enregistrements", "Records"),
    "clients_affected": ("{n} client(s) concernés.", "{n} client(s) affected."),
    "no_scope": (
        "Le périmètre n'est pas encore indiqué : les personnes ne sont pas comptées.",
        "The scope is not stated yet: the people are not counted.",
    ),
    "phases": ("Faits, par étapes", "Facts, in phases"),
    "still_unknown": ("Encore inconnu", "Still unknown"),
    "notifications": ("Notifications", "Notifications"),
    "notified_late": ("en retard", "late"),
    "cnil_draft": ("Brouillon de notification à la CNIL", "Draft of the notification to the CNIL"),
    "letter_to_person": ("Lettre à une personne", "Letter to a person"),
    "letter_to_client": ("Avis au client", "Notice to a client"),
    "cnil_draft_note": (
        "À reporter dans le formulaire de notification de la CNIL. L'ouverture de ce brouillon "
        "est inscrite au journal d'audit.",
        "In French, as the CNIL's notification form is: to be copied into it. Opening this "
        "draft is recorded in the audit trail.",
    ),
    "letters_written": (
        "{n} lettre(s) et avis écrits",
        "{n} letter(s) and notice(s) written",
    ),
    "systems_head": ("Systèmes concernés", "Systems affected"),
    "no_letters": ("Aucune lettre n'est encore écrite.", "No letter is written yet."),
    "add_phase": ("Ajouter des faits", "Add facts"),
    "new_facts": ("Ce qu'on a appris", "What was learnt"),
    "assess": ("Évaluer le risque", "Assess the risk"),
    "set_scope": ("Indiquer le périmètre", "State the scope"),
    "targets_hint": (
        "Bases, tables ou colonnes, séparées par des virgules ({stores}, base.table, "
        "table.colonne).",
        "Stores, tables or columns, comma-separated ({stores}, store.table, table.column).",
    ),
    "since_when": ("Lignes créées ou modifiées depuis", "Rows created or changed since"),
    "until_when": ("et avant", "and before"),
    "count_affected": ("Compter les personnes", "Count the people"),
    "record_notification": ("Enregistrer une notification", "Record a notification"),
    "notified_at": ("Faite le (par défaut : maintenant)", "Made on (default: now)"),
    "notification_reference": ("Référence (n° de dossier, accusé)", "Reference (case number)"),
    "delay_reason": (
        "Motifs du retard (requis après l'échéance)",
        "Reasons for the delay (required after the deadline)",
    ),
    "write_letters": ("Écrire les lettres", "Write the letters"),
    "write_letters_hint": (
        "Une lettre à chaque personne si le risque est élevé (art. 34), un avis à chaque "
        "client si nous sommes sous-traitant ; rien si rien n'est dû.",
        "A letter to each person when the risk is high (Art. 34), a notice to each client "
        "when we are the processor; nothing when nothing is owed.",
    ),
    "each_person_lang": ("celle de chaque personne", "each person's"),
    "send_letters": ("Envoyer par courriel", "Send by email"),
    "send_letters_hint": (
        "Les lettres et avis dus partent par le courrier du service, une fois ; chaque envoi "
        "est suivi ci-dessus. L'envoi n'enregistre pas la notification : enregistrez-la quand "
        "les envois sont faits.",
        "The letters and notices owed go out by the service's mail, once; each delivery is "
        "followed above. Sending does not record the notification: record it once they are "
        "sent.",
    ),
    "retry_failed": ("Renvoyer les envois en échec", "Send the failed ones again"),
    "mail_sent_heading": ("Envois par courriel", "Sent by email"),
    "mail_to_person": ("Lettres aux personnes", "Letters to the people"),
    "mail_to_client": ("Avis aux clients", "Notices to clients"),
    "mail_queued": ("en attente", "queued"),
    "mail_retrying": ("à réessayer", "to be tried again"),
    "mail_sent": ("envoyé(s)", "sent"),
    "mail_failed": ("en échec", "failed"),
    "mail_no_address": ("sans adresse", "no address"),
    "close_breach": ("Clore la violation", "Close the breach"),
    "last_facts": ("Derniers faits", "Last facts"),
    "back_to_breach": ("Retour à la violation {id}", "Back to breach {id}"),
}


def word(lang: str, key: str, **values: object) -> str:
    fr, en = WORDS[key]
    text = _FRENCH_SPACE.sub("\u00a0\\1", fr) if lang == "fr" else en
    return text.format(**values) if values else text


def choose_lang(request: Request, languages: tuple[str, ...] | list[str]) -> str:
    """The page's language: the switch, the cookie, the browser, the register's first."""
    offered = [lang for lang in languages if lang in LANGS] or list(LANGS)
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in offered:
        return str(asked)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in offered:
            return tag
    return offered[0]


# -- the API's and the library's messages, on a French page -------------------------------------
#
# The library and the API speak English (the CLI's and the JSON API's language). A message that
# reaches a page goes through :func:`error_text`: in English as it is; in French, translated
# when it is one of the messages below, else a French sentence for its kind of error (the
# status), never the English text. The patterns match the whole message.

_STATES_FR = {
    "received": "reçue",
    "identity to verify": "en attente de vérification d'identité",
    "in progress": "en cours",
    "extended": "prolongée",
    "done": "traitée",
    "refused": "refusée",
    "forwarded": "transmise au responsable",
}
_DONE_FR = {
    "verified": "vérifiée",
    "put on hold for identity": "mise en attente pour l'identité",
    "executed": "exécutée",
    "extended": "prolongée",
    "refused": "refusée",
    "forwarded": "transmise",
}
_TO_FR = {"authority": "à la CNIL", "controller": "au client", "people": "aux personnes"}
_ROLES_FR = {"auditor": "auditeur", "operator": "opérateur", "dpo": "DPO"}
_WRITE = "écrivez au contact « vie privée » de l'organisme"

FRENCH_ERRORS: list[tuple[str, str]] = [
    # filing a request and its one-time code (the privacy center)
    (
        r"too many requests were filed for this email address in the last hour",
        f"Trop de demandes ont été déposées pour cette adresse électronique dans l'heure : "
        f"réessayez dans une heure, ou {_WRITE}.",
    ),
    (
        r"too many requests were filed from your network address in the last hour",
        f"Trop de demandes ont été déposées depuis votre adresse réseau dans l'heure : "
        f"réessayez dans une heure, ou {_WRITE}.",
    ),
    (
        r"too many failed sign-ins for this account name in the last hour",
        "Trop de connexions ont échoué pour ce nom dans l'heure : réessayez dans une heure.",
    ),
    (
        r"too many failed sign-ins from your network address in the last hour",
        "Trop de connexions ont échoué depuis votre adresse réseau dans l'heure : réessayez "
        "dans une heure.",
    ),
    (
        r"requests cannot be filed here: this service sends no mail",
        f"Les demandes ne peuvent pas être déposées ici, faute d'envoi de courriels : {_WRITE}.",
    ),
    (
        r"this service sends no mail: no mail server is configured",
        "Ce service n'envoie pas de courriels : aucun serveur de messagerie n'est configuré.",
    ),
    (
        r"'(?P<x>.*)' is not an email address",
        "« {x} » n'est pas une adresse électronique : écrivez-la sous la forme nom@exemple.fr.",
    ),
    (
        r"(?P<n>\d+) codes were sent for request (?P<id>\S+): no more are sent",
        f"{{n}} codes ont été envoyés pour la demande {{id}} : aucun autre ne le sera ; "
        f"{_WRITE} pour faire vérifier votre demande.",
    ),
    (
        r"(?P<n>\d+) wrong codes came from this address in the last hour",
        "{n} codes erronés sont venus de votre adresse réseau dans l'heure : réessayez dans "
        "une heure.",
    ),
    (
        r"this is not the code we sent; (?P<n>\d+) attempts? left",
        "Ce n'est pas le code envoyé ; essais restants : {n}. Saisissez les six chiffres du "
        "dernier message.",
    ),
    (
        r"this is not the code we sent",
        "Ce n'est pas le code envoyé, et c'était le dernier essai : demandez un nouveau code.",
    ),
    (
        r"no code was sent for this request",
        "Aucun code n'a été envoyé pour cette demande : demandez-en un.",
    ),
    (r"this code was used already", "Ce code a déjà servi : un code ne sert qu'une fois."),
    (
        r"(?P<n>\d+) wrong codes were entered for this request",
        "{n} codes erronés ont été saisis pour cette demande : demandez un nouveau code.",
    ),
    (
        r"this code expired at (?P<t>[\d:]+) UTC",
        "Ce code a expiré à {t} (UTC) : demandez un nouveau code.",
    ),
    (
        r"request (?P<id>\S+) is verified already",
        "La demande {id} est déjà vérifiée : elle n'a plus besoin de code.",
    ),
    (
        r"request (?P<id>\S+) has no email address to send a code to",
        "La demande {id} n'a pas d'adresse électronique où envoyer un code : un opérateur la "
        "vérifiera.",
    ),
    (
        r"the register has no activity (?P<x>.+)",
        "Nous n'avons pas de traitement {x}.",
    ),
    (
        r"no one can object to (?P<x>.+?): Art\. 21 covers .*",
        "On ne peut pas s'opposer à {x} : l'article 21 couvre les traitements fondés sur "
        "l'intérêt légitime, une mission d'intérêt public ou la prospection.",
    ),
    (
        r"a rectification request needs the new values",
        "Une demande de correction indique la donnée à corriger et sa nouvelle valeur.",
    ),
    (
        r"a request for \w+ changes no value",
        "Seule une demande de correction indique de nouvelles valeurs.",
    ),
    (
        r"a request for \w+ does not name activities",
        "Seules une opposition ou une limitation désignent des traitements.",
    ),
    (
        r"no mapped table has the field (?P<x>.+?)(?:; nothing was recorded)?",
        "Nous ne tenons aucune donnée nommée {x} : rien n'a été enregistré.",
    ),
    (r"the new value of (?P<x>.+) is empty", "La nouvelle valeur de {x} est vide."),
    (r"there is no request (?P<id>\S+)", "Il n'y a pas de demande {id}."),
    # the console: requests
    (
        r"the (?P<role>\w+) role may not do this",
        "Le rôle {role} ne permet pas cette action.",
    ),
    (
        r"request (?P<id>\S+) is (?P<state>[a-z ]+): it cannot be (?P<done>.+)",
        "La demande {id} est {state} : elle ne peut pas être {done}.",
    ),
    (
        r"request (?P<id>\S+) was already extended; Art\. 12\(3\) allows one extension",
        "La demande {id} a déjà été prolongée : l'article 12.3 ne permet qu'une prolongation. "
        "Répondez avant l'échéance, ou refusez avec un motif.",
    ),
    (
        r"request (?P<id>\S+) can no longer be extended: the first period ended on (?P<d>\S+)",
        "La demande {id} ne peut plus être prolongée : le premier délai a pris fin le {d}.",
    ),
    (
        r"the register promises answers with no extension.*",
        "Le registre promet des réponses sans prolongation : répondez dans le premier délai.",
    ),
    (r"an extension needs its reason", "Une prolongation doit indiquer son motif."),
    (r"a refusal needs its reason", "Un refus doit indiquer son motif."),
    (r"lifting a restriction needs its reason", "La levée d'une limitation indique son motif."),
    (r"say how the identity was checked", "Indiquez comment l'identité a été vérifiée."),
    (
        r"say which instruction this is",
        "Indiquez de quelle instruction il s'agit (par exemple : courriel du client du "
        "2 décembre 2026).",
    ),
    (
        r"request (?P<id>\S+) cannot be forwarded: registre finds .*",
        "La demande {id} ne peut pas être transmise : rien de ce que nous trouvons n'est traité "
        "pour un client ; rien n'a été envoyé. Exécutez-la.",
    ),
    (
        r"request (?P<id>\S+) is also about data we control .*",
        "La demande {id} porte aussi sur des données dont nous sommes responsables : la "
        "transmettre laisserait cette partie sans réponse ; rien n'a été envoyé. Exécutez-la : "
        "la part des clients leur est transmise.",
    ),
    (
        r"request (?P<id>\S+) is a request for \w+: a controller instructs us to erase or to "
        r"rectify, nothing else",
        "La demande {id} n'est ni un effacement ni une correction : un client ne nous donne "
        "d'instruction que pour ceux-là.",
    ),
    (
        r"request (?P<id>\S+) was already carried out on the instruction of client (?P<c>.+); "
        r"nothing was recorded",
        "La demande {id} a déjà été exécutée sur instruction du client {c} ; rien n'a été "
        "enregistré.",
    ),
    (
        r"request (?P<id>\S+) was answered by us alone.*",
        "La demande {id} a été traitée par nous seuls : rien n'est allé à un client, aucun "
        "client ne peut donc en donner l'instruction ; rien n'a été enregistré.",
    ),
    (
        r"request (?P<id>\S+) was not forwarded to a client '(?P<c>.*)'; nothing was recorded",
        "La demande {id} n'a pas été transmise au client « {c} » ; rien n'a été enregistré.",
    ),
    (
        r"request (?P<id>\S+) went to (?P<n>\d+) clients: say which one instructs; .*",
        "La demande {id} a été transmise à {n} clients : indiquez lequel donne l'instruction ; "
        "rien n'a été enregistré.",
    ),
    (
        r"request (?P<id>\S+) is a request for \w+: only a restriction can be lifted",
        "La demande {id} n'est pas une limitation : seule une limitation peut être levée.",
    ),
    (
        r"the restriction of request (?P<id>\S+) was lifted on (?P<d>\S+)",
        "La limitation de la demande {id} a été levée le {d}.",
    ),
    (
        r"request (?P<id>\S+) changed while this command ran",
        "La demande {id} a changé pendant l'action : rechargez la page et recommencez.",
    ),
    # holds, users, tokens, sweeps
    (
        r"give identity for a person, or all of store, table and key for a record",
        "Indiquez l'adresse électronique de la personne.",
    ),
    (r"there is no legal hold (?P<id>\S+)", "Il n'y a pas de gel n° {id}."),
    (r"there is no user (?P<x>\S+)", "Il n'y a pas d'utilisateur {x}."),
    (r"there is already a user (?P<x>\S+)", "Il y a déjà un utilisateur {x}."),
    (
        r"the password has (?P<n>\d+) characters; it needs at least (?P<m>\d+)",
        "Le mot de passe a {n} caractères ; il en faut au moins {m}. Une phrase de quatre ou "
        "cinq mots est longue et facile à saisir.",
    ),
    (
        r"'(?P<x>.*)' is not a (?:user|token) name",
        "« {x} » n'est pas un nom valable : lettres minuscules, chiffres et . _ @ -, en "
        "commençant par une lettre ou un chiffre.",
    ),
    (r"'(?P<x>.*)' is not a role", "« {x} » n'est pas un rôle : dpo, operator ou auditor."),
    (r"there is no token (?P<id>\S+)", "Il n'y a pas de jeton n° {id}."),
    (
        r"token (?P<id>\S+) was already revoked, by (?P<x>.+)",
        "Le jeton n° {id} a déjà été révoqué, par {x}.",
    ),
    (
        r"the token would expire before it is created",
        "Le jeton expirerait avant d'être créé : choisissez une date plus lointaine.",
    ),
    (r"there is no sweep run (?P<id>\S+)", "Il n'y a pas de purge n° {id}."),
    (r"there is no job (?P<id>\S+)", "Il n'y a pas de tâche n° {id}."),
    (r"the register has no store (?P<x>\S+)", "Le registre n'a pas de base {x}."),
    # breaches
    (r"there is no breach (?P<id>\S+)", "Il n'y a pas de violation {id}."),
    (
        r"the breach cannot be known from (?P<d>\S+), later than now",
        "La prise de connaissance ne peut pas être dans le futur : indiquez quand l'organisme "
        "a appris la violation.",
    ),
    (r"a breach needs a summary of what happened", "Décrivez ce qui s'est passé."),
    (
        r"a breach needs its nature",
        "Cochez la nature de la violation (confidentialité, intégrité, disponibilité).",
    ),
    (r"an update needs what was learnt", "Indiquez ce qu'on a appris."),
    (
        r"a notification cannot be recorded at (?P<d>\S+), later than now",
        "Une notification ne s'enregistre qu'une fois faite : la date indiquée est dans le futur.",
    ),
    (
        r"breach (?P<id>\S+) was notified before the organization was aware of it",
        "La violation {id} aurait été notifiée avant que l'organisme en ait connaissance : "
        "vérifiez la date.",
    ),
    (
        r"breach (?P<id>\S+) is about data we control: there is no controller to tell",
        "La violation {id} porte sur des données dont nous sommes responsables : il n'y a pas "
        "de client à prévenir.",
    ),
    (
        r"the notification of breach (?P<id>\S+) to the (?P<to>\w+) is already recorded",
        "La notification de la violation {id} {to} est déjà enregistrée : ajoutez la suite "
        "comme de nouveaux faits.",
    ),
    (
        r"breach (?P<id>\S+) was notified to the (?P<to>\w+) (?P<span>.+?) after its deadline, "
        r"and a late notification must give the reasons for the delay \(Art\. 33\(1\)\)",
        "La violation {id} a été notifiée {to} {span} après l'échéance : une notification en "
        "retard doit en donner les motifs (article 33.1).",
    ),
    (
        r"table '(?P<x>.+)' has no timestamp column in the mapping, so .*",
        "La table {x} n'a pas de date de création ou de modification dans le mapping : elle ne "
        "peut pas être limitée à une période.",
    ),
    (
        r"table '(?P<x>.+)' names no client \('tenant' in the mapping\), so .*",
        "La table {x} n'indique pas de client dans le mapping : elle ne peut pas être limitée "
        "à un client.",
    ),
    (
        r"client '(?P<x>.+)' is not a key of the clients' table.*",
        "« {x} » n'est pas un identifiant de client tel que la table des clients le tient.",
    ),
]
_FRENCH_ERRORS = [(re.compile(pattern), french) for pattern, french in FRENCH_ERRORS]

FRENCH_BY_STATUS: dict[int, str] = {
    401: "Connectez-vous pour continuer.",
    403: "Votre rôle ne permet pas cette action.",
    404: "Ce que vous cherchez n'existe pas, ou plus.",
    409: "Cette action n'est pas possible dans l'état actuel : rechargez la page pour le voir.",
    422: "Ce qui a été saisi n'est pas valable : vérifiez le formulaire.",
    429: "Trop de tentatives : réessayez dans une heure.",
}
FRENCH_UNAVAILABLE = (
    "Le service ne peut pas faire cela pour le moment : réessayez plus tard, ou prévenez "
    "l'administrateur du service."
)


def error_text(lang: str, message: str, status: int = 409) -> str:
    """An API or library message as a page in ``lang`` shows it (see ``FRENCH_ERRORS``)."""
    if lang != "fr":
        return message
    for pattern, french in _FRENCH_ERRORS:
        found = pattern.fullmatch(message.strip())
        if found:
            values = {k: v or "" for k, v in found.groupdict().items()}
            if "state" in values:
                if values["state"] not in _STATES_FR or values["done"] not in _DONE_FR:
                    break
                values["state"] = _STATES_FR[values["state"]]
                values["done"] = _DONE_FR[values["done"]]
            if "role" in values:
                values["role"] = _ROLES_FR.get(values["role"], values["role"])
            if "to" in values:
                values["to"] = _TO_FR.get(values["to"], values["to"])
            if "span" in values:
                values["span"] = (
                    values["span"].replace(" h ", "\u00a0h\u00a0").replace(" min", "\u00a0min")
                )
            shown = _FRENCH_SPACE.sub("\u00a0\\1", french.format(**values))
            return shown.replace("« ", "«\u00a0")
    if status >= 500:
        return FRENCH_UNAVAILABLE
    return _FRENCH_SPACE.sub("\u00a0\\1", FRENCH_BY_STATUS.get(status, FRENCH_BY_STATUS[409]))


FIELD_WORDS = {
    "kind": "right",
    "email": "email",
    "lang": "answer_lang",
    "code": "code",
    "reason": "reason",
    "method": "method",
    "reference": "reference",
    "name": "name",
    "role": "role",
    "password": "password",
    "store": "store",
    "aware_at": "aware_at",
    "nature": "nature",
    "summary": "breach_summary",
    "text": "new_facts",
    "risk": "risk_level",
    "reasons": "risk_reasons",
    "targets": "scope_targets",
    "since": "since_when",
    "until": "until_when",
    "to": "notify_whom",
    "at": "notified_at",
}
"""A form's field, named as its label on the page (never the API's key)."""


def field_names(lang: str, names: list[str]) -> str:
    """The fields a form got wrong, by their labels in ``lang``."""
    shown = [word(lang, FIELD_WORDS[n]) if n in FIELD_WORDS else "" for n in names]
    unknown = word(lang, "a_field")
    return ", ".join(dict.fromkeys(s or unknown for s in shown))


_CODE_METHOD = re.compile(
    r"one-time code sent by email to (?P<to>\S+) at (?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d)\S*, "
    r"entered through the service"
)


def method_text(lang: str, method: str | None) -> str:
    """How an identity was checked, as the console shows it: the privacy center's own proof in
    the page's language; an operator's words as they typed them."""
    if not method:
        return "—"
    found = _CODE_METHOD.fullmatch(method)
    if not found:
        return method
    at = found["at"].replace("T", " ")
    if lang == "fr":
        return (
            f"code à usage unique envoyé par courriel à {found['to']} le {at} UTC, "
            "saisi sur le site"
        )
    return f"one-time code emailed to {found['to']} on {at} UTC, entered on the site"
