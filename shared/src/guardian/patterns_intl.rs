//! Prompt-injection cues in other languages (es, fr, de, pt, it, nl, pl, tr, zh, ja, ru, ko).
//!
//! Matched against the `canon` view, so Latin-script patterns are written without diacritics
//! ("instrucoes", "precedentes") and everything is lowercase.

use super::patterns_en::Pat;
use super::types::Severity::High;

const fn p(rule: &'static str, re: &'static str) -> Pat {
    Pat {
        rule,
        severity: High,
        re,
        veto_next: &[],
        gate: &[],
    }
}

const O: &str = "injection.override";
const E: &str = "injection.system_prompt_extraction";
const R: &str = "injection.restriction_removal";

/// Patterns over the `canon` view.
pub(crate) static INTL: &[Pat] = &[
    // Spanish
    p(O, r"\b(?:ignora|ignore|ignorar|ignoren|olvida|olvide|olvidar|olviden|descarta|omite|no\W+sigas)\W+(?:(?:todas|todos|las|los|tus|sus|de)\W+)*(?:instrucciones|reglas|indicaciones|directrices|ordenes|restricciones|normas)\b").gate(&[&["ignor","olvid","descart","omite","no sigas"]]),
    p(R, r"\b(?:asistente|ia|eres)\W+(?:[\w']+\W+){0,3}sin\W+(?:ninguna\W+|ningun\W+|ningunas\W+)?(?:restricciones|limites|filtros|censura|reglas)\b").gate(&[&[" sin "]]),
    p(E, r"\b(?:muestra|muestrame|revela|revelame|dime|ensename|imprime|repite|dame)\W+(?:[\w']+\W+){0,2}(?:prompt|mensaje|instrucciones)\W+(?:del\W+|de\W+)?(?:sistema|iniciales|ocultas)\b").gate(&[&["prompt","mensaje","instrucciones"]]),
    // French
    p(O, r"\b(?:ignore[rsz]?|oublie[rsz]?|neglige[rsz]?|ne\W+(?:tiens|tenez)\W+(?:plus|pas)\W+compte|ne\W+(?:suis|suivez)\W+plus|fai(?:s|tes)\W+abstraction)\W+(?:(?:de|d)\W+)?(?:(?:toutes|tous|les|tes|vos|ses|des)\W+)*(?:instructions|consignes|regles|directives|restrictions)\b").gate(&[&["ignor","oubli","neglig","compte","suis plus","suivez plus","abstraction"]]),
    p(R, r"\b(?:ia|assistant|es)\W+(?:[\w']+\W+){0,3}sans\W+(?:aucune\W+|aucun\W+)?(?:restrictions?|limites?|filtres?|censure|regles?)\b").gate(&[&[" sans "]]),
    p(E, r"\b(?:affiche|montre|revele|donne|repete|ecris|dis)(?:-moi|\W+moi)?\W+(?:[\w']+\W+){0,2}(?:prompt|message|instructions|consignes)\W+(?:du\W+)?(?:systeme|initiales|cachees)\b").gate(&[&["prompt","message","instructions","consignes"]]),
    // German
    p(O, r"\bvergiss\W+alles\W+(?:\w+\W+){0,3}?(?:gesagt|erzahlt|vorgegeben|aufgetragen)").gate(&[&["vergiss"]]),
    p(O, r"\b(?:ignorier\w*|vergiss|vergessen\W+sie|missachte\w*|befolge\W+nicht\w*)\W+(?:(?:alle|deine|ihre|die|sie|samtliche|jegliche|diese|bisherigen|vorherigen|obigen|vorigen|fruheren)\W+)*(?:anweisungen|instruktionen|regeln|befehle|vorgaben|richtlinien|einschrankungen)\b").gate(&[&["ignorier","vergiss","vergessen","missacht","befolge"]]),
    p(R, r"\b(?:assistent|ki|bist)\W+(?:\w+\W+){0,3}ohne\W+(?:jegliche\W+|alle\W+|irgendwelche\W+)?(?:einschrankungen|grenzen|filter|zensur|regeln|beschrankungen)\b").gate(&[&[" ohne "]]),
    p(E, r"\b(?:zeig|zeige|gib|nenne|verrate|wiederhole)\w*\W+(?:mir\W+)?(?:\w+\W+){0,2}(?:system\W?prompt|systemnachricht|system\w*anweisungen|anweisungen|instruktionen)\b").gate(&[&["prompt","systemnachricht","anweisungen","instruktionen"]]),
    // Portuguese
    p(O, r"\b(?:ignore|ignora|ignorar|esqueca|esquecer|desconsidere|descarte)\W+(?:(?:todas|todos|as|os|suas|seus|tuas|teus)\W+)*(?:instrucoes|regras|diretrizes|ordens|restricoes)\b").gate(&[&["ignor","esquec","desconsider","descart"]]),
    p(R, r"\b(?:ia|assistente|voce\W+e)\W+(?:\w+\W+){0,3}sem\W+(?:nenhuma\W+|nenhum\W+|quaisquer\W+)?(?:restricoes|limites|filtros|censura|regras)\b").gate(&[&[" sem "]]),
    p(E, r"\b(?:mostre|mostra|revele|exiba|diga|repita)(?:-me)?\W+(?:\w+\W+){0,2}(?:prompt|mensagem|instrucoes)\W+(?:de\W+|do\W+)?(?:sistema|iniciais)\b").gate(&[&["prompt","mensagem","instrucoes"]]),
    // Italian
    p(O, r"\b(?:ignora|ignorare|dimentica|dimenticare|trascura|non\W+seguire(?:\W+piu)?|smetti\W+di\W+seguire)\W+(?:(?:tutte|tutti|le|tue|sue|precedenti)\W+)*(?:istruzioni|regole|direttive|restrizioni)\b").gate(&[&["ignor","dimentic","trascur","seguire"]]),
    p(R, r"\b(?:intelligenza\W+artificiale|ia|assistente|sei)\W+(?:\w+\W+){0,3}senza\W+(?:alcun\W+|alcuna\W+)?(?:limiti|restrizioni|filtri|censura|regole)\b").gate(&[&[" senza "]]),
    p(E, r"\b(?:mostra|mostrami|rivela|rivelami|dimmi|ripeti|stampa)\W+(?:\w+\W+){0,2}(?:prompt|messaggio|istruzioni)\W+(?:di\W+|del\W+)?(?:sistema|iniziali)\b").gate(&[&["prompt","messaggio","istruzioni"]]),
    // Dutch, Polish, Turkish
    p(O, r"\b(?:negeer|vergeet)\W+(?:(?:alle|je|jouw|de)\W+)*(?:voorgaande\W+|vorige\W+|eerdere\W+)?(?:instructies|regels|opdrachten)\b").gate(&[&["negeer","vergeet"]]),
    p(O, r"\b(?:zignoruj|ignoruj|zapomnij)\W+(?:(?:wszystkie|swoje|twoje)\W+)*(?:poprzednie\W+|wczesniejsze\W+)?(?:instrukcje|polecenia|zasady|reguly)\b").gate(&[&["ignoruj","zapomnij"]]),
    p(O, r"\b(?:onceki|tum|butun)\W+(?:\w+\W+)?(?:talimatlari|talimatlar|kurallari|komutlari)\W+(?:yok\W+say|gormezden\W+gel|unut)").gate(&[&["talimat","kural","komut"]]),
    // Chinese
    p(O, r"(?:忽略|无视|無視|忘记|忘記|忘掉|不要理会|不要理會|抛开|拋開|不要遵守|不再遵守)(?:掉)?(?:你的|之前|以前|先前|上面|前面|此前|所有|全部|一切|以上|上述|的)*(?:指令|指示|说明|說明|提示|规则|規則|命令|设定|設定|限制|系统提示|系統提示)").gate(&[&["忽略","无视","無視","忘","不要理","抛开","拋開","不要遵守","不再遵守"]]),
    p(E, r"(?:显示|顯示|输出|輸出|告诉我|告訴我|打印|泄露|透露|重复|重複|展示|给我看|給我看)(?:一下)?(?:你的)?(?:完整的)?(?:系统提示词?|系統提示詞?|初始指令|系统指令|系統指令|系统消息|系統消息|隐藏指令|隱藏指令)").gate(&[&["提示","指令","消息"]]),
    p(R, r"你(?:现在|現在)?[^。！？\n]{0,10}(?:没有|沒有|不受|无|無)(?:任何)?(?:限制|约束|約束|审查|審查|过滤|過濾|规则|規則)").gate(&[&["你"]]),
    // Japanese
    p(O, r"(?:以前|前|上記|これまで|今まで|最初|先ほど|全て|すべて)の?(?:すべての|全ての)?(?:指示|命令|指令|ルール|規則|設定|制限|プロンプト)(?:は|を)(?:すべて|全て)?(?:無視|忘れ)").gate(&[&["無視","忘れ"]]),
    p(E, r"(?:システムプロンプト|システム・プロンプト|初期指示|システムメッセージ|隠された指示)(?:を|の内容を)(?:そのまま|全て|すべて)?(?:表示|出力|教え|見せ|開示|繰り返)").gate(&[&["プロンプト","指示","メッセージ"]]),
    p(R, r"(?:制限|制約|検閲|フィルター|ルール)の?(?:ない|無い|なし|無し)(?:ai|アシスタント|モデル|チャットボット)").gate(&[&["ない","無い","なし","無し"]]),
    // Russian
    p(O, r"(?:игнорируй|игнорируйте|проигнорируй|проигнорируйте|забудь|забудьте|отбрось|отбросьте|не\s+слушай)\W+(?:(?:все|всё|свои|твои|ваши|предыдущие|прошлые|прежние|вышеуказанные|старые|системные)\W+)*(?:инструкции|указания|команды|правила|ограничения|установки)").gate(&[&["игнор","забуд","отбро","не слушай"]]),
    p(E, r"(?:покажи|выведи|раскрой|напиши|повтори|скажи)\W+(?:мне\W+)?(?:\w+\W+){0,2}(?:системный\W+промпт|системные\W+инструкции|системное\W+сообщение|начальные\W+инструкции|исходные\W+инструкции)").gate(&[&["промпт","инструкци","сообщени"]]),
    p(R, r"(?:ии|ai|ассистент|ты)\W+(?:\w+\W+){0,2}без\W+(?:каких-либо\W+|всяких\W+|любых\W+)?(?:ограничений|правил|фильтров|цензуры)").gate(&[&["без"]]),
    // Korean
    p(O, r"(?:지시|지침|명령|규칙|지시사항|프롬프트|설정)\s*(?:을|를|은|는)?\s*(?:모두\s*|전부\s*|다\s*)?(?:무시|잊어)").gate(&[&["무시","잊어"]]),
    p(E, r"(?:시스템\s*프롬프트|초기\s*지시|시스템\s*메시지)\s*(?:를|을)?\s*(?:그대로\s*|전부\s*|모두\s*)?(?:출력|보여|알려|공개|말해)").gate(&[&["프롬프트","지시","메시지"]]),
    p(R, r"(?:제한|제약|검열|필터)\s*(?:이|가)?\s*(?:없는|없이)\s*(?:ai|에이아이|어시스턴트|모델|챗봇)").gate(&[&["없는","없이"]]),
];

/// Languages covered, for `status`.
pub(crate) const LANGUAGES: &[&str] = &[
    "en", "es", "fr", "de", "pt", "it", "nl", "pl", "tr", "zh", "ja", "ru", "ko",
];
