"""The phrases recruiter mail uses, in English, French, German, Spanish, Dutch and Portuguese.

Pure data for `extract`: compiled patterns whose `value` (or `title`) group is the text to copy.
Kept apart so that adding a language or a phrasing is a one-line change with no logic to touch.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE | re.MULTILINE

# Where an earlier message starts inside a reply or a forward.
QUOTE_START = re.compile(
    r"^\s*(?:"
    r"On .{4,200}?wrote:|Le .{4,200}?a écrit ?:|Am .{4,200}?schrieb .{0,200}?:|El .{4,200}?escribió:|"
    r"Op .{4,200}?schreef .{0,200}?:|Em .{4,200}?escreveu:|"
    r"-{2,} ?(?:Original Message|Forwarded message|Message d'origine|Message transféré|"
    r"Ursprüngliche Nachricht|Weitergeleitete Nachricht|Mensaje original|Mensaje reenviado|"
    r"Oorspronkelijk bericht|Doorgestuurd bericht|Mensagem original|Mensagem encaminhada) ?-{2,}|"
    r"(?:From|De|Von|Van) ?: .+\n(?:.+\n){0,3}?(?:Sent|Date|Envoyé|Gesendet|Enviado|Verzonden|Datum) ?:|"
    r">"
    r")",
    _I | re.DOTALL,
)

SIGN_OFF = re.compile(
    r"^(?:best|kind|warm|warmest|many thanks|thanks|thank you|regards|cheers|sincerely|yours|"
    r"all the best|speak soon|talk soon|respectfully|cordially|with thanks|looking forward|"
    r"cordialement|bien cordialement|bien à (?:vous|toi)|salutations|sincères salutations|"
    r"mit (?:den )?(?:besten|freundlichen) grüßen|freundliche grüße|viele grüße|beste grüße|"
    r"herzliche grüße|liebe grüße|mfg|saludos|un saludo|atentamente|cordiales saludos|"
    r"un abrazo|met vriendelijke groet(?:en)?|groeten|hartelijke groet|vriendelijke groet|"
    r"groet|atenciosamente|cumprimentos|abraços?|obrigad[oa]|att\.?|--\s*)\b[^\n]{0,30}$",
    re.IGNORECASE,
)

TITLE_WORDS = re.compile(
    r"\b(?:chief|officer|ceo|cfo|coo|cto|cio|cmo|chro|cro|cpo|ciso|cdo|vp|svp|evp|"
    r"vice[- ]president|president|director|directora?|directeur|directrice|direktor(?:in)?|"
    r"diretor(?:a)?|head|\w*leiter(?:in)?|\w*leitung|\w*manager(?:in)?|gerente|lead|principal|counsel|"
    r"controller|engineer|ingenieur|ingénieur|architect|scientist|analyst|treasurer|secretary|"
    r"chair(?:man|woman|person)?|trustee|non-executive|ned|geschäftsführer(?:in)?|vorstand|"
    r"responsable|jefe|jefa|hoofd|bestuurder|coordinator|specialist|developer|designer|"
    r"accountant|comptable|general manager|product owner|dean|provost|superintendent|"
    r"administrator|executive|nurse|partner|consultant|gm|md|managing|board member|"
    r"directeur général|directrice générale|diretor-geral|country manager|plant manager|"
    r"consejer[oa]|conselheir[oa]|verwaltungsrat|aufsichtsrat|beirat|administrat(?:eur|rice)|"
    r"commissaris|toezicht|rn|aes?|sdr|bdr|technician|officer|dokter|médico|médecin|professor|"
    r"vorsitzende[nr]?|gerente|geschäftsführung|leitung|lawyer|attorney|planner|generalist|"
    r"buyer|auditor|pharmacist|therapist|teamleider|programador[a]?|ingenier[oa]|engenheir[oa]|"
    r"administrador[a]?|chef de projet|berater(?:in)?|entwickler(?:in)?|vertriebs\w+|"
    r"contrôleur|controleur|comptable|adviseur|medewerker|analista|técnic[oa]|consultor[a]?|"
    r"recruiter|paralegal|actuary|economist|editor|producer|researcher|strategist|owner|scrum master|supervisor)s?\b",
    re.IGNORECASE,
)

NOT_A_PERSON = re.compile(
    r"\b(?:team|talent|careers?|recruit\w*|jobs?|hr|human resources|linkedin|xing|noreply|"
    r"no-reply|notifications?|info|support|news|newsletter|hiring|people|admin|office|services?|"
    r"group|partners|search|consulting|ltd|inc|gmbh|llc|the|via|the|mail|digest|alerts?|"
    r"recrutement|reclutamiento|werving)\b",
    re.IGNORECASE,
)

_STOP = r"(?=\s*[.,;:!?()\[\]\n]|\s+(?:at|with|for|in|based|to|who|which|that|reporting|on behalf|"
_STOP += r"and|or|chez|bei|pour|für|para|voor|à|au|em|bij|en|within|across|located|where)\b)"

_TITLE = r"(?P<title>[A-Z][^\n.,;:()!?]{2,80}?)"
_title_lower = r"(?P<title>[^\n.,;:()!?]{3,80}?)"

_GENDER_MARK = r"\((?:H/F|F/H|m/w/d|w/m/d|f/m/d|m/f/d|d/m/w|M/V|V/M|m/v|H/M|M/H|h/m|m/f|f/m|all genders|gn\*?)\)"
_TITLE_WORD = r"(?:[A-ZÀ-Þ][\w'’/&.:-]*|de|des|du|la|le|et|der|die|und|für|of|and|y|e|del|van|voor|en|\([A-Za-z/]{2,8}\))"

POSITION_CUES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bop zoek naar (?:een |een nieuwe )" + _title_lower + _STOP, _I),
    re.compile(
        r"^\s*(?:Position|Role|Job title|Title|Poste|Stelle|Position|Puesto|Functie|Vaga|Cargo)\s*:\s*(?P<title>[^\n]{3,90})",
        _I,
    ),
    re.compile(
        r"\b(?:role|position|post|opening|opportunity|search|vacancy|mandate|appointment|seat) "
        r"(?:of|as|for)(?: an?| the| our| their| its| a new)? " + _TITLE + _STOP
    ),
    re.compile(
        r"\b(?:for|as|be) (?:an?|the|their|our|its) (?:new |next |permanent |interim |first )?"
        r"(?P<title>[A-Z][\w&/'’ -]{2,70}?) (?:role|position|post|opening|search|vacancy|mandate|"
        r"opportunity|assignment|appointment)\b"
    ),
    re.compile(
        r"\b(?:hiring|recruiting|looking for|seeking|searching for|search for|appoint|recruit|find|identify|hire) "
        r"(?:an?|the|our|their|its) (?:new |next |permanent |interim |first )?" + _TITLE + _STOP
    ),
    re.compile(
        r"\b(?:hiring|recruiting|looking for|seeking|searching for|need|needs|placing|place) "
        r"(?:two|three|four|five|several|a few|a couple of|\d{1,2}|more|experienced|senior) "
        r"(?P<title>[\w&/'’ -]{2,50}?s)" + _STOP
    ),
    re.compile(
        r"\b(?:as|become|be|join as) (?:the |our |their |its )?(?:next |new |first |future )"
        + _TITLE
        + _STOP
    ),
    re.compile(
        r"\b(?:role|search|position|mandate|brief) (?:I'm|I am|we're|we are) (?:working on|handling|"
        r"running|leading|filling|recruiting for) is (?:a|an|the|for a|for an) " + _TITLE + _STOP
    ),
    re.compile(
        r"\b(?:wants|needs|need|want|to hire|hiring|appointing|on) (?:a|an|its first|their first|our first|its next) "
        + _TITLE
        + r"(?= (?:hire|search|role|position|who|to|for|at|in|and)\b|"
        + _STOP[3:]
    ),
    re.compile(
        r"\b(?:recruiting for|hiring for|working on|looking to fill|filling|recruiting|hiring) "
        r"(?:an?|one|the) "
        + _TITLE
        + r"(?= (?:role|position|contract|job|opening|vacancy)\b|"
        + _STOP[3:]
    ),
    re.compile(
        r"\b(?:poste|fonction|mission) d[e'’] ?(?:un |une )?"
        + _title_lower
        + r"(?:\s*\(H/F\)|"
        + _STOP[3:],
        _I,
    ),
    re.compile(
        r"\b(?:recrute|recherche|recherchons) (?:un |une |son |sa |leur )(?:nouveau |nouvelle |futur |future )?"
        + _title_lower
        + r"(?:\s*\(H/F\)|"
        + _STOP[3:],
        _I,
    ),
    re.compile(
        r"\b(?:Position|Rolle|Stelle|Funktion) (?:als|des|der|eines|einer) "
        + _title_lower
        + r"(?:\s*\(m/w/d\)|"
        + _STOP[3:],
        _I,
    ),
    re.compile(
        r"\b(?:suchen|sucht) (?:wir |unser Mandant |unsere Mandantin )?(?:einen|eine|eine/n|einen/eine) (?:neuen |neue )?"
        + _title_lower
        + r"(?:\s*\(m/w/d\)|"
        + _STOP[3:],
        _I,
    ),
    re.compile(r"\b(?:puesto|posición|cargo|rol|vacante|función) de " + _title_lower + _STOP, _I),
    re.compile(
        r"\b(?:buscamos|busca|buscando) (?:a )?(?:un |una )(?:nuevo |nueva )?"
        + _title_lower
        + _STOP,
        _I,
    ),
    re.compile(
        r"\b(?:functie|rol|positie|vacature) (?:van|als|voor) (?:een |de )?" + _title_lower + _STOP,
        _I,
    ),
    re.compile(
        r"\b(?:zoeken|zoekt) (?:wij |we |ik )?(?:een |een nieuwe )" + _title_lower + _STOP, _I
    ),
    re.compile(r"\bvoor een (?P<title>[A-Z][\w&/ -]{2,50}?) (?:rol|functie|positie)\b"),
    re.compile(r"\b(?:vaga|posição|cargo|função|posto) de " + _title_lower + _STOP, _I),
    re.compile(
        r"\b(?:procuramos|procura|buscamos|busca de|contratar|recrutar) (?:um\(a\) |uma? )(?:novo |nova )?"
        + _title_lower
        + _STOP,
        _I,
    ),
    re.compile(
        r"(?P<title>" + _TITLE_WORD + r"(?: " + _TITLE_WORD + r"){0,8}\s*" + _GENDER_MARK + r")"
    ),
)

_PLACE = r"(?P<value>[A-ZÀ-Þ][\w'’-]+(?:[ -](?:[A-ZÀ-Þ][\w'’-]+|de|del|am|an|sur|upon|on))*(?:, ?[A-ZÀ-Þ][\w'’-]+(?: [A-ZÀ-Þ][\w'’-]+)*)?)"

LOCATION: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"^\s*(?:Location|Lieu|Localisation|Standort|Arbeitsort|Ubicación|Locatie|Standplaats|Localização|Local de trabalho)\s*:\s*(?P<value>[^\n]{2,70})",
        _I,
    ),
    re.compile(
        r"\b(?:based|located|headquartered|sitting|situated) (?:in|at|out of|near) (?:the )?"
        + _PLACE
    ),
    re.compile(
        r"\b(?:role|position|opportunity|opening|job|post|plant|site) (?:is )?(?:in|at) " + _PLACE
    ),
    re.compile(r"\b(?:basée?|située?|implantée?) (?:à|en|au|dans la région de|près de) " + _PLACE),
    re.compile(r"\b(?:poste|mission) (?:est )?(?:basé |situé )?(?:à|en|au) " + _PLACE),
    re.compile(r"\b(?:mit Sitz in|Standort|im Raum|Region|am Standort) " + _PLACE),
    re.compile(r"\b(?:con sede en|ubicad[oa] en|basad[oa] en|situad[oa] en) " + _PLACE),
    re.compile(r"\b(?:gevestigd in|standplaats|in de regio|regio) " + _PLACE),
    re.compile(r"\b(?:baseado em|baseada em|localizad[oa] em|sediad[oa] em|com sede em) " + _PLACE),
)

_AMOUNT = (
    r"(?:(?:[$€£¥₹]|USD|EUR|GBP|CHF|CAD|AUD|SGD|NZD|(?:CA|C|A|AU|US|S|HK|NZ|R)\$|INR|SEK|DKK|NOK|AED)"
    r"\s?\d[\d.,  ]*(?:\s?[kK]\b|\s?k€)?"
    r"|\d[\d.,  ]*\s?(?:[kK]\s?)?(?:€|£|\$|EUR|USD|GBP|CHF|CAD|k€|K€|euros?))"
    r"(?!\s?(?:bn|billion|mn|m\b|M\b|million|Mrd|Mio|milliards?|millones|milhões|\+))"
)
_RANGE_END = (
    r"(?:\s?(?:[-–—/]|to|and|et|en|bis|a|und|e)\s?(?:"
    + "(?:[$€£]|USD|EUR|GBP|CHF|CAD|AUD)?\\s?\\d[\\d.,]*\\s?(?:[kK]\\b|k€|€)?"
    + r"))?"
)
_LEAD = (
    r"(?:(?:between|from|up to|around|approximately|circa|c\.|tussen|entre|zwischen|jusqu'à|autour de|"
    r"environ|bis zu|bis|ab|hasta|até|rond|vanaf|de|à partir de|a partir de)\s+)?"
    r"(?:\d[\d.,]*\s?[kK]?\s?(?:[-–—]|to|à|a|bis|tot|e|y|und|et)\s?(?=(?:[$€£]|USD|EUR|GBP|CHF|CAD|AUD|\d)))?"
)

COMPENSATION: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"^\s*(?:Salary|Compensation|Package|Rate|Day rate|Pay|Remuneration|Gehalt|Vergütung|Rémunération|Salaire|Salario|Retribución|Salaris|Beloning|Remuneração|Salário)\s*:\s*(?P<value>[^\n]{2,90})",
        _I,
    ),
    re.compile(
        r"(?P<value>"
        + _LEAD
        + _AMOUNT
        + _RANGE_END
        + r"[^\n.;!?]{0,70}?(?:base|bonus|OTE|package|salary|per annum|p\.a\.|/day|per day|a day|/hr|"
        r"per hour|an hour|/h|equity|LTIP|STIP|LTI|STI|brut|bruto|brutto|fixe|fijo|fixo|variable|"
        r"Gehalt|salário|salaire|salario|per maand|par mois|pro Jahr|al año|por ano|p/a|TC|total comp\w*|"
        r"sign-on|W2|C2C|inside IR35|outside IR35|plus|\+|including|incl|per uur|per jaar|brutos?|"
        r"brutto|anuales|anuais|annuel|per year|a year|/yr|/an)[^\n.;!?]{0,60})",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?P<value>" + _LEAD + r"(?:(?:[$€£]|USD|EUR|GBP|CHF|CAD|AUD|SGD|(?:CA|A|US|S)\$)\s?)?"
        r"\d{2,3}(?:[.,]\d)?\s?[kK]\b(?:\s?(?:[-–—]|to)\s?(?:[$€£]\s?)?\d{2,3}(?:[.,]\d)?\s?[kK]\b)?"
        r"(?:\s?(?:€|£|EUR|GBP|USD|CHF))?)"
    ),
    re.compile(
        r"(?P<value>(?:highly |very )?(?:competitive|attractive|excellent|market[- ]leading|generous) "
        r"(?:base |salary |compensation |remuneration |package|pay)[^\n.;!?]{0,50}|"
        r"(?:salaire|rémunération|package) (?:attractif|attractive|compétitif|compétitive)[^\n.;!?]{0,40}|"
        r"(?:attraktive?s?|wettbewerbsfähige?s?) (?:Gehalt|Vergütung|Vergütungspaket)[^\n.;!?]{0,40}|"
        r"(?:salario|paquete|retribución) (?:competitivo|atractivo|competitiva|atractiva)[^\n.;!?]{0,40}|"
        r"(?:marktconform|aantrekkelijk|uitstekend) (?:salaris|pakket)[^\n.;!?]{0,40}|"
        r"(?:salário|remuneração|pacote) (?:competitivo|atrativo|competitiva|atrativa)[^\n.;!?]{0,40})",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?P<value>(?:[$€£]|USD|EUR|GBP|CHF|CAD|AUD|(?:CA|C|A|AU|US|S|HK|NZ)\$)\s?\d{2,3}[,.  ]\d{3}(?:[,.]\d{3})?"
        r"\s?(?:[-–—]|to|and|à|bis|a|e|y|en)\s?(?:[$€£]|USD|EUR|GBP|CHF|CAD|AUD|(?:CA|C|A|AU|US|S|HK|NZ)\$)?\s?"
        r"\d{2,3}[,.  ]\d{3}(?:[,.]\d{3})?(?:\s?(?:€|£|EUR|GBP|USD|CHF))?[^\n.;!?]{0,60})"
    ),
    re.compile(
        r"(?P<value>[^\n.;!?]{0,30}\b(?:salary|package|pay|compensation|remuneration|paquete|pakket|"
        r"rémunération|salaire|Gehalt|Vergütung|remuneração|salário)\b[^\n.;!?]{0,30}\b(?:competitive|"
        r"competitief|competitivo|concurrentiel\w*|compétiti\w*|wettbewerbsfähig\w*)\b[^\n.;!?]{0,60}|"
        r"\b(?:very |highly |muy )?(?:competitive|competitief|competitivo|concurrentiel\w*|compétiti\w*|"
        r"commensurate with (?:your )?experience|außertariflich\w*)\b"
        r"(?=[^\n.;!?]{0,40}\b(?:salary|package|pay|compensation|remuneration|paquete|pakket|"
        r"rémunération|salaire|bonus|base|level|Vergütung|Gehalt|market|mercado|Markt)\b)[^\n.;!?]{0,60})",
        re.IGNORECASE,
    ),
)

_WHO = (
    r"(?P<value>(?:the |our |their |its |a |an |la |le |l'|el |los |den |die |der |de |het |o |a |"
    r"unseren |unsere |notre |nuestro |nuestra |ons |onze |nosso |nossa )?[^\n.,;()!?]{2,60}?"
    r"(?:, [A-ZÀ-Þ][\w'’-]+(?: [A-ZÀ-Þ][\w'’-]+)+)?)"
    r"(?=\s*[.,;()!?\n]|\s+(?:and|with|who|as|in|on|based|at|et|und|y|en|e|who|which|plus|"
    r"within|across|for|pour|für|para|voor|dans|im|en el|no|na)\b)"
)

REPORTING_TO: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"\b(?:untersteht|unterstellt ist|unterstehen) (?:direkt )?(?:dem |der |den )" + _WHO,
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:reporte|report) (?:direto |directo )?(?:à |ao |a |al )" + _WHO, re.IGNORECASE
    ),
    re.compile(
        r"^\s*(?:Reporting to|Reports to|Reporting line|Rattachement|Berichtet an|Reporta a|Rapporteert aan|Reporta a)\s*:\s*(?P<value>[^\n]{2,70})",
        _I,
    ),
    re.compile(
        r"\breport(?:s|ing)? (?:directly |straight |in |into )?(?:in)?to " + _WHO, re.IGNORECASE
    ),
    re.compile(r"\breporting line (?:is )?(?:to|into) " + _WHO, re.IGNORECASE),
    re.compile(
        r"\b(?:rattachée?|reportant|en reporting|directement rattachée?) (?:direct |directement )?(?:au |à la |à l'|aux |à )"
        + _WHO,
        re.IGNORECASE,
    ),
    re.compile(
        r"\bsous la (?:responsabilité|direction) (?:directe )?(?:du |de la |de l'|des )" + _WHO,
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:berichte[nt]?|berichtend|Berichtslinie|reportet|reporten|rapportier\w*) (?:Sie |du )?(?:direkt |unmittelbar )?an "
        + _WHO,
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:unterstellt|direkt unterstellt) (?:dem |der |den )" + _WHO, re.IGNORECASE),
    re.compile(
        r"\b(?:reportando|reporta|reportará|reportaría|dependiendo|depende|dependerá) (?:directamente )?(?:a la |al |a |de la |del |de )"
        + _WHO,
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:rapporteert|rapporterend|rapporteren|valt) (?:direct |rechtstreeks )?(?:aan|onder) "
        + _WHO,
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:reportando|reporta|reportará|reportar|subordinad[oa]) (?:diretamente )?(?:ao |à |a |aos )"
        + _WHO,
        re.IGNORECASE,
    ),
)

_COMPANY = r"(?:the )?(?P<value>(?!(?:A|An|The|Our|We|I|This|Their|Un|Une|Ein|Eine|Um|Uma|Een)\b)[A-ZÀ-Þ0-9][\w&'’.+-]*(?:\s(?:&\s|of\s|de\s|du\s|der\s|für\s)?[A-ZÀ-Þ0-9&][\w&'’.+-]*){0,4})"

HIRING_COMPANY: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"^\s*(?:Company|Client|Employer|Organisation|Organization|Entreprise|Société|Unternehmen|Empresa|Organisatie|Bedrijf)\s*:\s*(?P<value>[^\n]{2,60})",
        _I,
    ),
    re.compile(r"\b(?:our|my) client,? " + _COMPANY),
    re.compile(
        r"\b(?:on behalf of|retained by|engaged by|mandated by|appointed by|partnering with|working with|in partnership with) "
        + _COMPANY
    ),
    re.compile(r"\b(?:join|joining|lead|leading) " + _COMPANY + r"(?= (?:as|in|at)\b|[.,])"),
    re.compile(r"\b(?:at|for) " + _COMPANY + r",? (?:is|are|has|who)\b"),
    re.compile(
        _COMPANY
        + r" (?:is|are) (?:looking for|hiring|seeking|searching for|recruiting|appointing)\b"
    ),
    re.compile(r"\b(?:notre client|pour le compte de|mandatée? par|rejoindre) " + _COMPANY),
    re.compile(
        r"\b(?:unser(?:en|em)? (?:Mandanten|Kunden|Auftraggeber),?|im Auftrag (?:von|der|des)) (?:die |der |das )?"
        + _COMPANY
    ),
    re.compile(
        r"\b(?:nuestro cliente,?|en nombre de|por encargo de|incorporarse a|unirse a) " + _COMPANY
    ),
    re.compile(r"\b(?:onze (?:opdrachtgever|klant),?|namens|in opdracht van) " + _COMPANY),
    re.compile(r"\b(?:nosso cliente,?|em nome de|a pedido d[ao]) (?:a |o )?" + _COMPANY),
)

CONFIDENTIAL = re.compile(
    r"\b(?:confidential(?:ly)?|confidentiel(?:le)?|vertraulich\w*|diskret\w*|confidencial\w*|"
    r"vertrouwelijk\w*|sigilos[oa]|in confidence|cannot (?:yet )?(?:disclose|name|share|reveal) "
    r"(?:the |my |our )?(?:client|name|company|organi[sz]ation)|(?:unable|not (?:yet )?able|not at "
    r"liberty) to (?:disclose|name|share|reveal)|stealth|undisclosed client|unnamed client)\b",
    re.IGNORECASE,
)

DISCLAIMER = re.compile(
    r"(?:intended (?:solely |only )?for|intended recipient|this (?:e-?mail|message|communication)|"
    r"diese (?:E-Mail|Nachricht)|ce (?:message|courriel|e-mail)|este (?:correo|mensaje)|"
    r"dit (?:bericht|e-mailbericht)|esta mensagem|privileged|if you have received)",
    re.IGNORECASE,
)

_ORG = (
    r"(?:company|firm|group|business|bank|brand|organi[sz]ation|client|manufacturer|provider|"
    r"player|insurer|retailer|scale-?up|start-?up|fintech|hospital|university|charity|fund|house|"
    r"operator|leader|consultancy|institution|agency|developer|utility|distributor|investor|"
    r"conglomerate|corporation|enterprise|SaaS|platform|vendor|producer|lender|carrier|chain)"
)

# A client referred to by profile only ("our client, a PE-backed industrial group").
CLIENT_PROFILE = re.compile(
    r"\b(?:my|our) client\b(?!,? [A-Z][a-z]+ [A-Z])|\bclient of ours\b|\bclients?\b|"
    r"\b(?:klant|opdrachtgever|Kunde|Kunden|Mandant\w*|cliente|clientes|clients?)\b|"
    r"\b(?:on behalf of|for|with|working with|retained by|engaged by|partnering with|supporting|"
    r"represent(?:ing)?) (?:an?|one of (?:the|our)) (?:[\w&/-]+ ){0,5}?" + _ORG + r"s?\b|"
    r"\bnotre client\b|\b(?:un|une) (?:grand |grande |important |importante )?(?:groupe|acteur|"
    r"cabinet|éditeur|industriel|leader|entreprise|société|établissement|ETI|PME|banque)\b|"
    r"\bunser(?:en|em)? (?:Mandant\w*|Kunde\w*|Auftraggeber\w*)\b|"
    r"\bein(?:en|em|es|e)? (?:\w+ ){0,4}\w*(?:unternehmen|konzern|Unternehmen|Konzern|Mittelständler|Hersteller|"
    r"Maschinenbauer|Finanzdienstleister|Dienstleister)\b|"
    r"\bnuestro cliente\b|\buna? (?:importante |conocida |gran |destacada )?(?:empresa|compañía|"
    r"multinacional|grupo|entidad|firma)\b|"
    r"\bonze (?:opdrachtgever|klant)\b|\been (?:\w+ ){0,3}(?:bedrijf|organisatie|onderneming|"
    r"opdrachtgever|werkgever)\b|"
    r"\bnosso cliente\b|\b(?:uma?) (?:\w+ ){0,3}(?:empresa|multinacional|grupo|companhia)\b",
    re.IGNORECASE,
)
