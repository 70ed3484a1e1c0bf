//! English prompt-injection and jailbreak patterns, matched against the lowercase `canon` view.
//!
//! `\b` is rewritten to an ASCII word boundary at compile time so the lazy DFA never has to
//! give up on non-ASCII input.

use super::types::Severity::{self, High, Low, Medium};

/// One pattern: which rule it reports, at what severity, and words that veto a match when they follow it.
#[derive(Clone, Copy)]
pub(crate) struct Pat {
    pub rule: &'static str,
    pub severity: Severity,
    pub re: &'static str,
    pub veto_next: &'static [&'static str],
    /// Literal groups: the pattern runs only when every group has a member in the view.
    pub gate: &'static [&'static [&'static str]],
}

impl Pat {
    /// Adds a literal gate.
    pub const fn gate(self, gate: &'static [&'static [&'static str]]) -> Pat {
        Pat { gate, ..self }
    }
}

const fn p(rule: &'static str, severity: Severity, re: &'static str) -> Pat {
    Pat {
        rule,
        severity,
        re,
        veto_next: &[],
        gate: &[],
    }
}

macro_rules! verb_override {
    () => { r"(?:ignor(?:e|es|ed|ing)|disregard(?:s|ed|ing)?|forget(?:s|ting)?|forgot|skip(?:s|ping)?|overrid(?:e|es|ing)|bypass(?:es|ing)?|drop(?:s|ping)?|abandon(?:s|ing)?|discard(?:s|ing)?|neglect(?:s|ing)?|set\W+aside|put\W+aside|never\W*mind|circumvent(?:s|ing)?|evad(?:e|es|ing)|get\W+around|throw\W+out|disabl(?:e|es|ing)|turn\W+off|pay\W+no\W+attention\W+to)" };
}
macro_rules! quant {
    () => {
        r"(?:(?:all|any|every|each|the|your|its|these|those|of|whatever|entire|whole)\W+)*"
    };
}
macro_rules! qual_word {
    () => { r"(?:previous(?:ly)?|prior|above|earlier|preceding|foregoing|initial|original|old|existing|current|given|default|system|safety|security|ethical|moral|content|core|base|built-?in|programmed|hidden|internal|developer'?s?|openai'?s?|anthropic'?s?|google'?s?|creators?'?s?|admin|administrator'?s?|operator'?s?|preset|standard|usual|normal|other|usage|guard)" };
}
macro_rules! object {
    () => { r"(?:setup\W+(?:message|prompt|instructions)|preamble|instructions?|directives?|directions|guidance|rules?|guidelines?|guardrails?|prompts?|system\W+(?:prompt|message)s?|constraints?|restrictions?|limitations?|polic(?:y|ies)|programming|commands?|orders|filters?|filtering|safeguards?|protocols?|training|conditioning|persona|principles|ethics|morals|boundaries|context)" };
}
macro_rules! extract_verb {
    () => { r"(?:reveal|show|print(?:\W+out)?|display|output|repeat|tell|give|share|dump|leak|expose|disclose|write\W+(?:out|down)|list|quote|recite|spell\W+out|paste|copy|echo|return|provide|translate|summari[sz]e|encode)" };
}
/// Words after "your instructions/rules" that make it a how-to question ("your rules for a README").
const WEAK_OBJECT_VETO: &[&str] = &[
    "for",
    "on",
    "about",
    "regarding",
    "to",
    "of",
    "when",
    "with",
    "in",
];
macro_rules! subject_ai {
    () => {
        r"(?:you|ai|a\.i\.|assistant|persona|yourself|dan|character|entity)"
    };
}
macro_rules! restr_obj {
    () => { r"(?:restrictions?|rules|limits|limitations|filters?|filtering|censorship|guidelines|guardrails|ethics|morals|morality|scruples|safeguards?|boundaries|constraints|principles|polic(?:y|ies)|safety\W+(?:filters?|guidelines|measures|checks|rules|features|protocols|training)|content\W+(?:polic(?:y|ies)|filters?|filtering|restrictions|guidelines)|(?:ethical|moral)(?:\W+(?:or|and)\W+(?:ethical|moral))?\W+(?:guidelines|constraints|boundaries|principles|limits|considerations|compass|code))" };
}
macro_rules! restr_neg {
    () => { r"(?:no|without(?:\W+any)?|free\W+(?:of|from)(?:\W+(?:all|any))?|not\W+(?:bound|limited|restricted|constrained)\W+by(?:\W+(?:any|your))?|unbound\W+by|no\W+longer\W+(?:bound|limited|restricted|constrained)\W+by(?:\W+(?:any|your))?|(?:does|do)\W+not\W+have\W+to\W+(?:abide\W+by|follow|obey)(?:\W+any)?|(?:doesn'?t|don'?t)\W+have\W+to\W+(?:abide\W+by|follow|obey)(?:\W+any)?|zero)" };
}
macro_rules! evil_adj {
    () => { r"(?:unrestricted|unfiltered|uncensored|jailbroken|jailbreak|evil|amoral|unethical|unaligned|rogue|unchained|unlimited|unbound|lawless|immoral|malicious|limitless)" };
}

/// Patterns over the `canon` view.
pub(crate) static EN: &[Pat] = &[
    // --- instruction override
    Pat {
        gate: &[&["ignor","disregard","forget","forgot","skip","overrid","bypass","drop","abandon","discard","neglect","aside","mind","circumvent","evad","around","throw","disabl","turn off","attention"], &["instruction","directive","direction","guidance","rule","guideline","guardrail","prompt","constraint","restriction","limitation","polic","programming","command","orders","filter","safeguard","protocol","training","conditioning","persona","principle","ethic","moral","boundar","context","system"]],
        rule: "injection.override",
        severity: High,
        re: concat!(r"\b", verb_override!(), r"\W+", quant!(), r"(?:", qual_word!(), r"\W+)*", object!(), r"\b"),
        veto_next: &[],
    },
    Pat {
        gate: &[&["ignor","disregard","forget","forgot","skip","overrid","bypass","drop","abandon","discard","neglect","aside","mind","circumvent","evad","around","throw","disabl","turn off","attention"], &["above","before this","prior to this"]],
        rule: "injection.override",
        severity: High,
        re: concat!(r"\b", verb_override!(), r"\W+(?:(?:all|everything|anything)\W+(?:of\W+)?)?(?:the\W+|what\W+(?:is|was)\W+(?:written\W+)?)?(?:above|before\W+this|prior\W+to\W+this)\b"),
        veto_next: &["paragraph", "paragraphs", "sentence", "line", "typo", "example", "table", "section", "code", "error", "message", "comment", "email", "chart", "figure", "image", "list", "link", "note", "steps"],
    },
    p("injection.override", High, concat!(r"\b(?:(?:do|does|did|will|must|should)\W+not|don'?t|doesn'?t|won'?t|never|stop|no\W+longer\W+(?:need|have)\W+to|(?:do\W+not|don'?t)\W+(?:need|have)\W+to)\W+(?:follow(?:ing)?|obey(?:ing)?|abid(?:e|ing)\W+by|listen(?:ing)?\W+to)\W+(?:(?:any|your)\W+(?:", qual_word!(), r"\W+)*", object!(), r"|(?:the\W+)?", qual_word!(), r"\W+(?:", qual_word!(), r"\W+)*", object!(), r"|the\W+", object!(), r"\W+(?:you\W+(?:were|have\W+been|got)\W+given|(?:given|provided)\W+to\W+you))\b")).gate(&[&["not","n't","never","stop","no longer"], &["follow","obey","abid","listen"], &["instruction","directive","direction","guidance","rule","guideline","guardrail","prompt","constraint","restriction","limitation","polic","programming","command","orders","filter","safeguard","protocol","training","conditioning","persona","principle","ethic","moral","boundar","context","system"]]),
    p("injection.override", High, r"\b(?:previous|prior|above|earlier|old|original|your|all|these|those|safety|existing|initial)\W+(?:\w+\W+)?(?:rules|instructions|guidelines|restrictions|policies|constraints|directives|orders|directions|guidance)\W+(?:no\W+longer\W+apply|(?:are|is|have\W+been|were)\W+(?:now\W+)?(?:void|revoked|lifted|cancell?ed|obsolete|fake|wrong|invalid|suspended|disabled|removed|null|overridden|replaced|a\W+test))\b").gate(&[&["no longer apply","void","revoked","lifted","cancel","obsolete","fake","wrong","invalid","suspended","disabled","removed","null","overridden","replaced","a test"], &["rules","instructions","guidelines","restrictions","policies","constraints","directives","orders","directions","guidance"]]),
    p("injection.override", High, concat!(r"\b", verb_override!(), r"\W+(?:about\W+)?(?:everything|anything|all|whatever)\W+(?:that\W+)?you\W+(?:were|have\W+been|'?ve\W+been|got)\W+(?:told|taught|given|instructed|programmed)\b")).gate(&[&["ignor","disregard","forget","forgot","skip","overrid","bypass","drop","abandon","discard","neglect","aside","mind","circumvent","evad","around","throw","disabl","turn off","attention"], &["you were","you have been","you've been","ve been","you got"]]),
    p("injection.override", Medium, r"\b(?:everything|anything|all)\W+(?:that\W+)?you\W+(?:were|have\W+been|'?ve\W+been)\W+(?:told|given|instructed|programmed)\W+(?:\w+\W+){0,4}?(?:is|are|was|were)\W+(?:now\W+)?(?:void|cancell?ed|invalid|null|obsolete|revoked|fake|irrelevant|wrong|a\W+test)\b").gate(&[&["you were","you have been","ve been"], &["void","cancel","invalid","null","obsolete","revoked","fake","irrelevant","wrong","a test"]]),
    p("injection.override", High, r"\byour\W+(?:instructions|rules|guidelines|programming|system\W+prompt|directives)\W+(?:have|has)\W+(?:now\W+)?been\W+(?:updated|changed|replaced|overridden|revoked|modified|reset|lifted)\b").gate(&[&["been"], &["instruction","rule","guideline","programming","system","directive"]]),
    p("injection.override", Medium, r"\b(?:your|the)\W+(?:new|real|actual|true|updated)\W+(?:task|instructions?|role|objective|goal|directive|purpose|mission|prompt)\W*(?:is|are|:)").gate(&[&["new","real","actual","true","updated"], &["task","instruction","role","objective","goal","directive","purpose","mission","prompt"]]),
    p("injection.override", Medium, r"\bnew\W+(?:instructions?|directives?|system\W+prompt)\s*:").gate(&[&["new instruction","new directive","new system","new rules"]]),
    p("injection.override", Medium, r"\b(?:this|these|following)\W+(?:instructions?|messages?|directives?|text|note)\W+(?:overrides?|supersedes?|replaces?|takes?\W+precedence\W+over|has\W+priority\W+over|cancels?)\b").gate(&[&["overrid","supersede","replace","precedence","priority","cancel"]]),
    p("injection.override", Medium, r"\bwhatever\W+(?:your|the)\W+(?:\w+\W+)?(?:guidelines|rules|instructions|policies|programming|training)\W+(?:tell|say|forbid|prohibit)").gate(&[&["whatever"]]),
    // Romance, Germanic and Slavic languages share the stems: "ignora/ignorez/ignoriere/ignorează … instru…".
    p("injection.override", Medium, r"\bignor\w*\W+(?:(?:all|alle|alles|toate|todas|todos|tutte|toutes|tous|wszystkie|the|your|as|os|le|les|las|los|die|de|tes|tus|tue|sie|samtliche)\W+){0,3}(?:\w+\W+)?instru[ckt]\w*").gate(&[&["ignor"], &["instru"]]),
    // --- system prompt extraction
    p("injection.system_prompt_extraction", High, concat!(r"\b", extract_verb!(), r"\W+(?:me\W+|us\W+)?(?:back\W+)?your\W+(?:\w+\W+){0,2}(?:system\W*prompt|system\W*message|pre-?prompt|configuration|config)\b")).gate(&[&["your"], &["system","prompt","config"]]),
    Pat {
        gate: &[&["your"], &["instruction","prompt","rule","guideline","directive","programming"]],
        rule: "injection.system_prompt_extraction",
        severity: High,
        re: concat!(r"\b", extract_verb!(), r"\W+(?:me\W+|us\W+)?(?:back\W+)?your\W+(?:\w+\W+){0,2}(?:instructions?|prompt|rules|guidelines|directives|programming)\b"),
        veto_next: WEAK_OBJECT_VETO,
    },
    p("injection.system_prompt_extraction", High, concat!(r"\b", extract_verb!(), r"\W+(?:me\W+|us\W+)?(?:\w+\W+){0,5}?(?:instructions|rules|prompt|directives|guidance|text|preamble|message|setup)\W+(?:that\W+)?you\W+(?:received|were\W+given|got|were\W+told|were\W+trained\W+with|were\W+(?:initiali[sz]ed|configured|set\W+up|primed|started)\W+with)\b")).gate(&[&["you received","you were given","you got","you were told","you were trained","you were initiali","you were configured","you were set up","you were primed","you were started"]]),
    p("injection.system_prompt_extraction", High, r"\b(?:prompt|instructions|text|message|rules)\W+(?:that\W+)?(?:was|were)\W+used\W+to\W+(?:configure|set\W+up|initiali[sz]e|program|create|instruct|prime)\W+you\b").gate(&[&["used to"]]),
    p("injection.system_prompt_extraction", High, r"\b(?:reveal|show|print|display|output|repeat|tell|give|share|dump|leak|expose|disclose|write\W+(?:out|down)|list|quote|recite|spell\W+out|paste|copy|echo|return|provide)\W+(?:me\W+|us\W+)?(?:the\W+)?(?:(?:full|entire|complete|whole|exact|original|initial|first)\W+)*(?:system\W*(?:prompt|message|instructions?)|initial\W+(?:prompt|instructions?)|(?:hidden|secret|confidential|internal|underlying|developer|pre)\W*(?:prompts?|instructions?|rules|guidelines|directives|system\W+prompt))\b").gate(&[&["system","initial","hidden","secret","confidential","internal","underlying","developer","pre-","preprompt"], &["reveal","show","print","display","output","repeat","tell","give","share","dump","leak","expose","disclose","write","list","quote","recite","spell","paste","copy","echo","return","provide","translate","summar","encode"]]),
    Pat {
        gate: &[&["your"], &["what"]],
        rule: "injection.system_prompt_extraction",
        severity: High,
        re: r"\bwhat\W+(?:is|are|was|were)\W+your\W+(?:(?:full|exact|original|initial|hidden|secret)\W+)*(?:system\W*prompt|system\W*message|instructions|initial\W+prompt|directives|programming)\b",
        veto_next: WEAK_OBJECT_VETO,
    },
    p("injection.system_prompt_extraction", Medium, r"\b(?:rules|instructions|guidelines|directives)\W+(?:that\W+)?(?:you\W+were|you'?ve\W+been|you\W+have\W+been)\W+(?:told|given|instructed|programmed)\b").gate(&[&["you were","ve been","you have been"]]),
    p("injection.system_prompt_extraction", High, r"\b(?:repeat|print|output|recite|copy|echo|write)\W+(?:back\W+)?(?:(?:all|everything|the)\W+)*(?:(?:words|text|content|messages?|lines|tokens)\W+)?(?:above|before\W+(?:this|my\W+first|the\W+first))\b").gate(&[&["above","before this","before my first","before the first"]]),
    p("injection.system_prompt_extraction", High, r#"\bstarting\W+with\W+(?:the\W+(?:phrase|words?)\W+)?"?you\W+are\b"#).gate(&[&["starting"]]),
    p("injection.system_prompt_extraction", High, r"\bwhat\W+(?:your\W+|the\W+)?(?:developers?|creators?|makers?|operators?|openai|anthropic|system\W+prompt)\W+(?:told|instructed|said\W+to|programmed)\W+you\b").gate(&[&["told","instructed","said to","programmed"]]),
    p("injection.system_prompt_extraction", High, r"\b(?:contents?|text|copy|verbatim\W+text)\W+of\W+your\W+(?:system\W*prompt|instructions|initial\W+prompt|system\W+message)\b").gate(&[&["of your"]]),
    // --- role hijack and jailbreak personas
    p("injection.role_hijack", High, r"\byou\W+are\W+(?:now\W+)?(?:dan|stan|dude|aim|freegpt|betterdan|jailbroken|unfiltered|uncensored|unrestricted|unchained|unbound)\b").gate(&[&["you are"]]),
    p("injection.role_hijack", High, r"\bdo\W+anything\W+now\b").gate(&[&["anything"]]),
    p("injection.role_hijack", Medium, r"\bdeveloper\W+mode\W+(?:enabled|on|activated|output|response)\b").gate(&[&["developer"]]),
    p("injection.role_hijack", Low, r"\b(?:enable|activate|enter|switch\W+to|turn\W+on)\W+(?:dan|jailbreak|jailbroken|god|developer|unrestricted|unfiltered|evil|sudo|admin|root|debug|maintenance)\W+mode\b").gate(&[&["mode"]]),
    p("injection.role_hijack", Medium, r"\byou\W+are\W+no\W+longer\W+(?:a|an|the|bound|restricted|limited|chatgpt|claude|gemini)\b").gate(&[&["no longer"]]),
    p("injection.role_hijack", Medium, r"\b(?:i\W+am|i'?m)\W+(?:the|your)\W+(?:developer|creator|admin|administrator|operator|engineer|programmer)s?\W+(?:who|that)\W+(?:wrote|created|built|made|configured|trained|programmed)\W+(?:you|your)\b").gate(&[&["wrote","created","built","made","configured","trained","programmed"], &["developer","creator","admin","operator","engineer","programmer"]]),
    p("injection.role_hijack", High, r"\bi\W+am\W+(?:now\W+)?your\W+(?:real\W+|new\W+|true\W+|actual\W+)?(?:operator|developer|creator|admin|administrator|master|owner|programmer)\b").gate(&[&["your"], &["operator","developer","creator","admin","master","owner","programmer"]]),
    p("injection.role_hijack", High, concat!(r"\b(?:", evil_adj!(), r"\W+(?:and\W+)?){1,3}(?:ai|a\.i\.|assistant|chatbot|model|version|persona|gpt|llm|bot|character|entity|mode)\b")).gate(&[&["unrestrict","unfilter","uncensor","jailbr","evil","amoral","unethical","unaligned","rogue","unchain","unlimited","unbound","lawless","immoral","malicious","limitless"]]),
    p("injection.role_hijack", High, r"\b(?:ai|assistant|model|chatbot|bot|gpt|llm|you)\W+(?:\w+\W+){0,3}jailbroken\b").gate(&[&["jailbroken"]]),
    p("injection.role_hijack", High, r"\[\W*(?:jailbreak|jailbroken|dan|developer\W+mode\W+output|unlocked)\W*\]").gate(&[&["jailbr","dan","developer","unlocked"]]),
    p("injection.role_hijack", Medium, r"\b(?:roleplay|role-play|act|pretend|play)\W+(?:\w+\W+){0,3}(?:my\W+)?(?:late|deceased|dead|dying)\W+(?:grandmother|grandma|granny|grandfather|grandpa)\b").gate(&[&["grand"]]),
    p("injection.role_hijack", Low, r"\b(?:windows|office|steam)\W+(?:\w+\W+){0,2}(?:activation|product|license|licence|serial|cd)\W+keys\b").gate(&[&["keys"]]),
    p("injection.role_hijack", Medium, r"\bstay\W+in\W+character\W+(?:\w+\W+){0,3}?(?:no\W+matter\W+what|at\W+all\W+costs|whatever\W+happens|even\W+if)").gate(&[&["character"]]),
    p("injection.role_hijack", Low, r"\bopposite\W+(?:day|mode)\b").gate(&[&["opposite"]]),
    p("injection.role_hijack", Medium, r"\b(?:has|have)\W+(?:pre-?)?authori[sz]ed\W+you\b|\b(?:it\W+is|this\W+is|i\W+am|i'?m)\W+(?:authori[sz]ed|approved|sanctioned)\W+(?:by\W+)?(?:the\W+)?(?:developers?|openai|anthropic|admins?|administrators?|your\W+(?:creators?|developers?))\b").gate(&[&["authori","approved","sanctioned"]]),
    // --- restriction removal
    Pat {
        gate: &[&["no","without","free","bound","not","zero","have to"], &["restrict","rules","limit","filter","censor","guideline","guardrail","ethic","moral","scruple","safeguard","boundar","constraint","principle","polic"]],
        rule: "injection.restriction_removal",
        severity: High,
        re: concat!(r"\b", subject_ai!(), r"\W+(?:\w+\W+){0,6}?", restr_neg!(), r"\W+(?:(?:any|all|ethical|moral|safety|content|kind\W+of|such|of|the|your)\W+){0,2}", restr_obj!(), r"\b"),
        veto_next: &["on", "regarding", "about", "for"],
    },
    p("injection.restriction_removal", High, r"\b(?:respond|answer|reply|write|act|behave|speak|talk|operate|continue|proceed|comply|output|generate)\w*\W+(?:\w+\W+){0,5}?(?:without(?:\W+any)?|with\W+no)\W+(?:\w+\W+)?(?:restrictions|filters?|filtering|censorship|limitations|limits|rules|guidelines|warnings|disclaimers|ethics|safety|refusals?)\b").gate(&[&["without","with no"]]),
    p("injection.restriction_removal", High, r"\b(?:safety|content|ethical|moral)\W+(?:checks?|filters?|filtering|guidelines|polic(?:y|ies)|protocols?|restrictions?|features?|measures|training|rules)\W+(?:are|is|have\W+been|has\W+been|were)\W+(?:now\W+)?(?:disabled|off|removed|lifted|turned\W+off|deactivated|suspended|revoked|bypassed|unlocked)\b").gate(&[&["disabled","off","removed","lifted","deactivated","suspended","revoked","bypassed","unlocked"], &["safety","content","ethical","moral"]]),
    p("injection.restriction_removal", High, r"\b(?:you|ai|assistant|dan|model)\W+(?:\w+\W+){0,4}?(?:freed|liberated|released|unshackled|broken\W+free|break\W+free|broke\W+free|escaped)\W+(?:from|of)\W+(?:(?:all|the|your)\W+)*(?:typical\W+)?(?:limitations|confines|restrictions|rules|shackles|chains|constraints|programming|training|guidelines|censorship|filters)\b").gate(&[&["freed","liberated","released","unshackled","free","escaped"]]),
    p("injection.restriction_removal", High, r"\b(?:pretend|imagine|assume|suppose|act\W+as\W+if)\W+(?:that\W+)?(?:the\W+|your\W+|all\W+)?(?:content\W+polic(?:y|ies)|safety\W+(?:rules|guidelines|filters|policies)|usage\W+polic(?:y|ies)|rules|guidelines|restrictions|filters|ethics|guardrails)\W+(?:(?:do|does)\W*(?:not|n'?t)\W+(?:exist|apply)|(?:are|is)\W+(?:gone|off|disabled|suspended|lifted))").gate(&[&["pretend","imagine","assume","suppose","as if"]]),
    p("injection.restriction_removal", High, r"\b(?:alignment|safety\W+training|guardrails|safeguards|content\W+filters?|safety\W+layer|security\W+layer|ethics\W+module)\W+(?:\w+\W+){0,2}?(?:removed|stripped|disabled|turned\W+off|lifted|deleted|bypassed)\b").gate(&[&["removed","stripped","disabled","turned off","lifted","deleted","bypassed"]]),
    // --- compliance coercion
    p("injection.compliance_coercion", Medium, r"\b(?:you|it|dan|ai|assistant|model|bot|mode|who|which)\W+(?:\w+\W+){0,2}?(?:never|must\W+not|cannot|can'?t|can\W+not|won'?t|will\W+not|(?:are|is)\W+not\W+allowed\W+to)\W+(?:\w+\W+)?(?:refus\w*|decline\w*|reject\w*)").gate(&[&["refus","declin","reject"]]),
    p("injection.compliance_coercion", Medium, r"\bnever\W+(?:apologi[sz]\w*|says?\W+(?:that\W+)?(?:you|it)\W+(?:can'?t|cannot)|adds?\W+(?:any\W+)?(?:warnings?|disclaimers?)|warns?\b|mentions?\W+(?:that\W+)?(?:you\W+are|it\W+is)\W+an?\W+ai|breaks?\W+character)").gate(&[&["never"]]),
    p("injection.compliance_coercion", Medium, r"\b(?:do\W+not|don'?t)\W+(?:add|include|give|provide)\W+(?:any\W+)?(?:warnings?|disclaimers?|moral\w*|ethical\W+\w+|caveats)\b").gate(&[&["warning","disclaimer","moral","ethical","caveat"]]),
    p("injection.compliance_coercion", Medium, r"\b(?:answer|respond\W+to|comply\W+with|fulfill|complete)\W+(?:every|all|any)(?:\W+\w+)?\W+(?:requests?|questions?|prompts?|orders?|commands?)\W+(?:\w+\W+){0,3}?(?:regardless|no\W+matter|without\W+(?:question|exception|refus\w*|hesitation)|including\W+(?:harmful|illegal|unethical|dangerous))").gate(&[&["regardless","no matter","without","including"]]),
    p("injection.compliance_coercion", Medium, r"\bmust\W+(?:answer|comply\W+with|respond\W+to|do|obey)\W+(?:everything|anything|all\W+requests|every\W+request|all\W+orders)\b").gate(&[&["must"]]),
    // --- chat-template markers
    p("injection.template_marker", High, r"<\|im_start\|>\s*(?:system|assistant|user)\b|<\|start_header_id\|>\s*(?:system|assistant|user)\b|<start_of_turn>\s*(?:system|model|user)\b|<<sys>>\s*\n|<\|(?:system|user|assistant)\|>\s*\n").gate(&[&["<|","<start_of_turn>","<<sys>>"]]),
    p("injection.template_marker", High, r"(?m)^[ \t]*#{2,4}[ \t]*(?:system|instruction|instructions|response|assistant)[ \t]*:").gate(&[&["##"], &["system","instruction","response","assistant"]]),
    p("injection.template_marker", High, r"(?:^|[^<])</?(?:system|sys|instructions?)>|</user>").gate(&[&["system>","sys>","instruction>","instructions>","</user>"]]),
    p("injection.template_marker", Medium, r"\n[ \t]*\n[ \t]*(?:human|assistant)[ \t]*:").gate(&[&["human","assistant"]]),
    p("injection.template_marker", Low, r"<\|(?:im_start|im_end|endoftext|end_of_text|begin_of_text|eot_id|end_header_id|start_header_id|system|user|assistant|eom_id|fim_prefix|fim_suffix|fim_middle)\|>|\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>").gate(&[&["<|","[inst]","[/inst]","<<sys>>","<</sys>>","_of_turn>"]]),
    p("injection.fake_system_message", Medium, r"(?m)^\W*(?:system|sys|admin|administrator|developer|root|operator)(?:\W+(?:override|message|prompt|note|notice|directive|update|alert|instruction))?\s*[:\]]\s*(?:\w+\W+){0,8}?(?:you|assistant|ai|model|must|ignore|disregard|grant|new\W+directive|the\W+user|all\W+requests|override|disabl\w*|reveal|unrestricted|proceed)\b").gate(&[&["system","sys","admin","developer","root","operator"]]),
    // --- indirect injection
    p("injection.indirect_address", Medium, r"\b(?:note|message|instructions?|notice|important|attention|reminder|directive|hint)\W+(?:to|for)\W+(?:any\W+|all\W+|the\W+)?(?:ai|a\.i\.|assistants?|llms?|language\W+models?|chatbots?|gpt|claude|gemini|copilot|agents?|bots?)(?:\W+models?)?\b").gate(&[&["ai","a.i.","assistant","llm","language model","chatbot","gpt","claude","gemini","copilot","agent","bot"], &["note","message","instruction","notice","important","attention","reminder","directive","hint"]]),
    p("injection.indirect_address", Medium, r"\b(?:ai|llm|language\W+model)s?\W+(?:agents?|assistants?|models?|bots?)\W+(?:processing|reading|handling|browsing|summari[sz]ing|parsing|triaging|viewing)\W+this\b").gate(&[&["processing","reading","handling","browsing","summari","parsing","triaging","viewing"]]),
    p("injection.indirect_address", Medium, r"\bif\W+you\W+are\W+(?:an?\W+)?(?:ai|a\.i\.|llm|large\W+language\W+model|language\W+model|assistant|chatbot|bot|gpt|automated\W+agent)\b").gate(&[&["if you are"]]),
    p("injection.indirect_address", Medium, r"\bwhen\W+(?:an?\W+|the\W+|any\W+)?(?:ai|llm|assistant|language\W+model|model|chatbot|bot|agent)\W+(?:reads|summari[sz]es|processes|sees|parses|analy[sz]es|scans|ingests)\W+this\b").gate(&[&["reads","summari","processes","sees","parses","analy","scans","ingests"]]),
    p("injection.indirect_address", Medium, r"\b(?:ai|llm)\W+assistant\s*:|\bthis\W+(?:text|message|note)\W+is\W+for\W+(?:the\W+)?(?:ai|assistant|llm|model)\b").gate(&[&["assistant","is for"]]),
    p("injection.indirect_address", Medium, r"\b(?:attention|note|notice|hey|hello|dear)\W+(?:ai|a\.i\.|llm|language\W+model|assistant|chatbot|agent|gpt)s?\s*[:,]").gate(&[&["attention","note","notice","hey","hello","dear"]]),
    p("injection.stealth", Medium, r"\b(?:do\W+not|don'?t|never)\W+(?:mention|reveal|disclose|acknowledge|tell\W+(?:the\W+)?user\W+about)\W+(?:this|these)\W+(?:instructions?|messages?|notes?|directives?|requests?)\b").gate(&[&["mention","reveal","disclose","acknowledge","tell"]]),
];

/// Core phrases matched on the `squeezed` view (no separators) and its ROT13.
pub(crate) static CORE: &[Pat] = &[
    p("injection.override", High, r"(?:ignor(?:e|ing)|disregard|forget|bypass|override|skip)(?:all|any|every)?(?:of)?(?:the|your)?(?:previous|prior|above|earlier|preceding|initial|original|system|safety)+(?:instructions?|directives?|rules|prompts?|guidelines|commands|messages?|constraints|restrictions)").gate(&[&["ignor","disregard","forget","bypass","overrid","skip"]]),
    p("injection.override", High, r"(?:ignor(?:e|ing)|disregard|forget|bypass|override)(?:all|any)?(?:of)?your(?:rules|instructions|guidelines|guardrails|restrictions|programming|systemprompt)").gate(&[&["ignor","disregard","forget","bypass","overrid"], &["your"]]),
    p("injection.system_prompt_extraction", High, r"(?:reveal|show|print|output|display|repeat|leak|dump|tellme)(?:me)?(?:your|the)(?:full|entire|complete|hidden|secret|initial|original)*(?:systemprompt|systemmessage|initialprompt|initialinstructions|hiddeninstructions)").gate(&[&["systemprompt","systemmessage","initialprompt","initialinstructions","hiddeninstructions"]]),
    p("injection.role_hijack", High, r"youarenow(?:dan|an?(?:unrestricted|unfiltered|uncensored|jailbroken|evil))|doanythingnow").gate(&[&["youarenow","doanythingnow"]]),
];
