//! Every visible string of the pages, in French (the default), Arabic and
//! English, and the dates written the way each language writes them.
//!
//! Arabic month names are those used in Morocco (يناير، فبراير، ... دجنبر);
//! digits are the Western Arabic digits Moroccan administrations print.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use super::hijri::HijriDate;

/// A language of the pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// French, the default.
    Fr,
    /// Arabic, written right to left.
    Ar,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order of the language switch.
    pub const ALL: [Lang; 3] = [Lang::Fr, Lang::Ar, Lang::En];

    /// The BCP 47 code (`lang` attribute, `?lang=`, cookie value).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// The writing direction (`dir` attribute).
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::Fr | Lang::En => "ltr",
        }
    }

    /// The language's name in itself, for the language switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::Ar => "العربية",
            Lang::En => "English",
        }
    }

    /// Reads a code (`fr`, `ar`, `en`, any case, region ignored).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "fr" => Some(Lang::Fr),
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

macro_rules! strings {
    ($($key:ident => $fr:expr, $ar:expr, $en:expr;)*) => {
        /// A visible string.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Key {
            $(
                #[allow(missing_docs)]
                $key,
            )*
        }

        impl Key {
            /// Every key (to test that each has its translations).
            pub const ALL: &'static [Key] = &[$(Key::$key),*];
        }

        /// The string `key` in `lang`.
        pub fn t(lang: Lang, key: Key) -> &'static str {
            match key {
                $(Key::$key => match lang {
                    Lang::Fr => $fr,
                    Lang::Ar => $ar,
                    Lang::En => $en,
                },)*
            }
        }
    };
}

strings! {
    // Layout.
    SkipToContent => "Aller au contenu", "الانتقال إلى المحتوى", "Skip to content";
    LanguageLabel => "Langue", "اللغة", "Language";
    NavVerify => "Vérifier un accusé", "التحقق من وصل", "Verify a receipt";
    NavDesk => "Guichet", "الشباك", "Clerk desk";
    FooterAbout => "Chaque courrier reçu est numéroté, horodaté, signé et inscrit dans un journal public vérifiable.",
        "كل مراسلة واردة تُرقَّم وتُؤرَّخ وتُوقَّع وتُقيَّد في سجل عمومي قابل للتحقق.",
        "Every letter received is numbered, timestamped, signed and entered in a public, verifiable log.";
    FooterKeys => "Clés publiques (JWKS)", "المفاتيح العمومية (JWKS)", "Public keys (JWKS)";
    FooterCheckpoint => "Point de contrôle signé du journal", "نقطة المراقبة الموقّعة للسجل", "Signed log checkpoint";

    // Verification page.
    VerifyTitle => "Vérifier un accusé de réception", "التحقق من وصل الإيداع", "Verify an acknowledgement of receipt";
    VerifyIntro => "Saisissez le numéro d'enregistrement imprimé sur votre accusé. Avec le code d'accès, vous verrez aussi l'expéditeur et l'objet du courrier.",
        "أدخل رقم التسجيل المطبوع على وصلك. مع رمز الولوج، ستظهر لك أيضاً هوية المرسل وموضوع المراسلة.",
        "Enter the registration number printed on your receipt. With the access code you will also see the letter's sender and subject.";
    NumberLabel => "Numéro d'enregistrement", "رقم التسجيل", "Registration number";
    NumberHint => "Par exemple BO-2026-000123", "مثال: BO-2026-000123", "For example BO-2026-000123";
    CodeLabel => "Code d'accès (facultatif)", "رمز الولوج (اختياري)", "Access code (optional)";
    CodeHint => "12 lettres et chiffres imprimés sur votre accusé, par exemple 7KQ2-M9XD-4TZA",
        "12 حرفاً ورقماً مطبوعة على وصلك، مثال: 7KQ2-M9XD-4TZA",
        "12 letters and digits printed on your receipt, for example 7KQ2-M9XD-4TZA";
    Sha256Label => "Empreinte SHA-256 du document (facultatif)", "بصمة SHA-256 للوثيقة (اختياري)", "SHA-256 fingerprint of the document (optional)";
    Sha256Hint => "Remplie automatiquement quand vous déposez le document ci-dessous.",
        "تُملأ تلقائياً عند إيداع الوثيقة أدناه.",
        "Filled in automatically when you drop the document below.";
    VerifySubmit => "Vérifier", "تحقّق", "Verify";
    DocumentTitle => "Vérifier un document", "التحقق من وثيقة", "Check a document";
    DropLabel => "Déposez le document ici, ou cliquez pour le choisir", "اسحب الوثيقة إلى هنا، أو انقر لاختيارها", "Drop the document here, or click to choose it";
    DropHint => "Le fichier ne quitte pas votre ordinateur : seule son empreinte SHA-256 est calculée, dans votre navigateur.",
        "لا يغادر الملف حاسوبك: تُحسب بصمته SHA-256 فقط، داخل متصفحك.",
        "The file never leaves your computer: only its SHA-256 fingerprint is computed, in your browser.";
    PasteTitle => "Vérifier un accusé électronique", "التحقق من وصل إلكتروني", "Verify an electronic receipt";
    PasteLabel => "Collez l'accusé (bundle JSON ou JWS)", "الصق الوصل (حزمة JSON أو JWS)", "Paste the receipt (JSON bundle or JWS)";
    PasteSubmit => "Vérifier l'accusé collé", "تحقّق من الوصل الملصق", "Verify the pasted receipt";
    ResultTitle => "Résultat de la vérification", "نتيجة التحقق", "Verification result";
    RegisteredOn => "Enregistré le {date} à {time} sous le numéro {number}.",
        "سُجّل بتاريخ {date} على الساعة {time} تحت الرقم {number}.",
        "Registered on {date} at {time} under number {number}.";
    HijriEquivalent => "Soit le {hijri} (calendrier hégirien arithmétique).",
        "الموافق لـ {hijri} (التقويم الهجري الحسابي).",
        "That is {hijri} (arithmetical Hijri calendar).";
    TimeZoneNote => "Heure légale : {tz}.", "التوقيت: {tz}.", "Local time: {tz}.";
    VerdictOk => "Cet accusé est authentique : toutes les vérifications ont réussi.",
        "هذا الوصل صحيح: نجحت جميع عمليات التحقق.",
        "This receipt is genuine: every check passed.";
    VerdictFail => "Attention : au moins une vérification a échoué. Cet accusé ne peut pas être tenu pour authentique.",
        "تنبيه: فشلت عملية تحقق واحدة على الأقل. لا يمكن اعتبار هذا الوصل صحيحاً.",
        "Warning: at least one check failed. This receipt cannot be taken as genuine.";
    ChecksTitle => "Vérifications effectuées par le serveur", "عمليات التحقق التي أجراها الخادم", "Checks made by the server";
    Passed => "Réussi", "ناجح", "Passed";
    Failed => "Échec", "فشل", "Failed";
    TechnicalDetail => "Détail technique", "التفاصيل التقنية", "Technical detail";
    CheckSignature => "Signature électronique de l'accusé", "التوقيع الإلكتروني للوصل", "Electronic signature of the receipt";
    CheckClaims => "Contenu de l'accusé", "محتوى الوصل", "Content of the receipt";
    CheckKeyValidity => "Clé du registre valide à l'heure d'enregistrement", "صلاحية مفتاح السجل وقت التسجيل", "Registry key valid at the time of registration";
    CheckCheckpoint => "Signature du journal public", "توقيع السجل العمومي", "Signature of the public log";
    CheckInclusion => "Inscription de l'accusé dans le journal public", "قيد الوصل في السجل العمومي", "Receipt entered in the public log";
    CheckMetadata => "Expéditeur et objet conformes à l'accusé", "مطابقة المرسل والموضوع للوصل", "Sender and subject match the receipt";
    CheckRecord => "Concordance avec le registre", "المطابقة مع السجل", "Matches the registry's record";
    CheckDocument => "Document", "الوثيقة", "Document";
    RecordMatches => "le registre détient ce courrier avec cet accusé", "يحتفظ السجل بهذه المراسلة بهذا الوصل", "the registry holds this letter with this receipt";
    RecordDiffers => "le registre détient un autre accusé sous ce numéro", "يحتفظ السجل بوصل آخر تحت هذا الرقم", "the registry holds another receipt under this number";
    RecordMissing => "le registre ne connaît pas ce numéro", "السجل لا يعرف هذا الرقم", "the registry does not know this number";
    MetadataMatches => "l'empreinte des données du courrier correspond à l'accusé", "بصمة بيانات المراسلة مطابقة للوصل", "the fingerprint of the letter's data matches the receipt";
    MetadataDiffers => "les données du courrier ne correspondent pas à l'empreinte de l'accusé", "بيانات المراسلة لا تطابق بصمة الوصل", "the letter's data does not match the receipt's fingerprint";
    StatusLabel => "État", "الحالة", "Status";
    StatusRegistered => "Enregistré", "مسجّل", "Registered";
    SenderLabel => "Expéditeur", "المرسل", "Sender";
    SubjectLabel => "Objet", "الموضوع", "Subject";
    AddresseeLabel => "Service destinataire", "المصلحة المرسل إليها", "Addressee (service)";
    ReferenceLabel => "Référence de l'expéditeur", "مرجع المرسل", "Sender's reference";
    ChannelLabel => "Canal de réception", "قناة الاستلام", "Received by";
    LetterDateLabel => "Date du courrier", "تاريخ المراسلة", "Date of the letter";
    CodeOk => "Code d'accès correct.", "رمز الولوج صحيح.", "Access code correct.";
    CodeWrong => "Ce code d'accès ne correspond pas à ce courrier : l'expéditeur et l'objet restent masqués.",
        "رمز الولوج هذا لا يطابق هذه المراسلة: يبقى المرسل والموضوع محجوبين.",
        "This access code does not match this letter: the sender and subject stay hidden.";
    CodeMalformed => "Ce code d'accès n'est pas valide : il compte 12 lettres et chiffres, comme 7KQ2-M9XD-4TZA.",
        "رمز الولوج هذا غير صالح: يتكون من 12 حرفاً ورقماً، مثل 7KQ2-M9XD-4TZA.",
        "This access code is not valid: it has 12 letters and digits, like 7KQ2-M9XD-4TZA.";
    PersonalHidden => "Les données personnelles (expéditeur, objet, noms des documents) ne s'affichent qu'avec le code d'accès.",
        "لا تظهر البيانات الشخصية (المرسل، الموضوع، أسماء الوثائق) إلا برمز الولوج.",
        "Personal data (sender, subject, document names) is shown only with the access code.";
    DocumentsTitle => "Documents", "الوثائق", "Documents";
    NoDocuments => "Aucun document n'est joint à ce courrier.", "لا توجد وثائق مرفقة بهذه المراسلة.", "No document is attached to this letter.";
    DocPosition => "N°", "رقم", "No.";
    DocName => "Nom du fichier", "اسم الملف", "File name";
    DocSize => "Taille", "الحجم", "Size";
    DocHash => "Empreinte SHA-256", "بصمة SHA-256", "SHA-256 fingerprint";
    Bytes => "{n} octets", "{n} بايت", "{n} bytes";
    DocMatch => "Ce document correspond au document n°{n} de l'accusé.",
        "هذه الوثيقة مطابقة للوثيقة رقم {n} في الوصل.",
        "This document matches document no. {n} of the receipt.";
    DocMismatch => "Ce document ne correspond à aucun document de cet accusé.",
        "هذه الوثيقة لا تطابق أي وثيقة في هذا الوصل.",
        "This document matches none of the documents of this receipt.";
    NotFound => "Aucun courrier n'est enregistré sous ce numéro.", "لا توجد أي مراسلة مسجّلة تحت هذا الرقم.", "No letter is registered under this number.";
    NotFoundHint => "Vérifiez le numéro imprimé sur votre accusé, par exemple BO-2026-000123.",
        "تحقّق من الرقم المطبوع على وصلك، مثال: BO-2026-000123.",
        "Check the number printed on your receipt, for example BO-2026-000123.";
    BadReceipt => "Le texte collé n'est pas un accusé lisible (ni bundle JSON, ni JWS).",
        "النص الملصق ليس وصلاً مقروءاً (لا حزمة JSON ولا JWS).",
        "The pasted text is not a readable receipt (neither a JSON bundle nor a JWS).";
    EmptyReceipt => "Collez d'abord un accusé.", "الصق وصلاً أولاً.", "Paste a receipt first.";
    BadSha256 => "Une empreinte SHA-256 compte 64 caractères hexadécimaux (0-9, a-f).",
        "تتكون بصمة SHA-256 من 64 رمزاً ست عشرياً (0-9، a-f).",
        "A SHA-256 fingerprint has 64 hexadecimal characters (0-9, a-f).";
    SearchTitle => "Courriers contenant ce document", "المراسلات التي تتضمن هذه الوثيقة", "Letters containing this document";
    SearchNone => "Aucun courrier enregistré ne contient ce document.", "لا توجد أي مراسلة مسجّلة تتضمن هذه الوثيقة.", "No registered letter contains this document.";
    DateTimeLabel => "Date et heure", "التاريخ والساعة", "Date and time";
    LogEntry => "Entrée n°{n} du journal public", "القيد رقم {n} في السجل العمومي", "Entry no. {n} of the public log";
    BrowserNeedsJs => "La vérification indépendante dans votre navigateur nécessite JavaScript.",
        "يتطلب التحقق المستقل داخل متصفحك تفعيل JavaScript.",
        "Independent verification in your browser needs JavaScript.";

    // Strings of verify.js.
    JsChecking => "Vérification en cours dans votre navigateur…", "جارٍ التحقق داخل متصفحك…", "Verifying in your browser…";
    JsVerified => "Vérifié dans votre navigateur", "تم التحقق في متصفحك", "Verified in your browser";
    JsVerifiedDetail => "Votre navigateur a vérifié lui-même la signature de l'accusé, la signature du journal public et l'inscription de l'accusé dans ce journal (clé {kid}).",
        "تحقّق متصفحك بنفسه من توقيع الوصل وتوقيع السجل العمومي وقيد الوصل في هذا السجل (المفتاح {kid}).",
        "Your browser itself checked the receipt's signature, the public log's signature and the receipt's entry in that log (key {kid}).";
    JsFailed => "Échec de la vérification dans votre navigateur : {reason}", "فشل التحقق داخل متصفحك: {reason}", "Verification in your browser failed: {reason}";
    JsReasonSignature => "la signature de l'accusé n'est pas valide", "توقيع الوصل غير صالح", "the receipt's signature is not valid";
    JsReasonKey => "la clé qui a signé l'accusé est inconnue ou n'était pas valide à cette date",
        "المفتاح الذي وقّع الوصل غير معروف أو لم يكن صالحاً في ذلك التاريخ",
        "the key that signed the receipt is unknown or was not valid at that time";
    JsReasonCheckpoint => "la signature du journal public n'est pas valide", "توقيع السجل العمومي غير صالح", "the public log's signature is not valid";
    JsReasonInclusion => "l'accusé n'est pas inscrit dans le journal signé", "الوصل غير مقيّد في السجل الموقّع", "the receipt is not in the signed log";
    JsReasonClaims => "le contenu de l'accusé ne correspond pas à ce numéro", "محتوى الوصل لا يطابق هذا الرقم", "the receipt's content does not match this number";
    JsReasonNetwork => "l'accusé ou les clés publiques n'ont pas pu être téléchargés", "تعذّر تنزيل الوصل أو المفاتيح العمومية", "the receipt or the public keys could not be downloaded";
    JsReasonUnsupported => "ce navigateur ne sait pas vérifier les signatures Ed25519, ou la page n'est pas servie en HTTPS",
        "هذا المتصفح لا يدعم التحقق من توقيعات Ed25519، أو أن الصفحة لا تُعرض عبر HTTPS",
        "this browser cannot verify Ed25519 signatures, or the page is not served over HTTPS";
    JsHashing => "Calcul de l'empreinte du document…", "جارٍ حساب بصمة الوثيقة…", "Computing the document's fingerprint…";
    JsHashed => "Empreinte SHA-256 calculée dans votre navigateur :", "بصمة SHA-256 المحسوبة داخل متصفحك:", "SHA-256 fingerprint computed in your browser:";
    JsNoReceipt => "Saisissez le numéro de l'accusé puis cliquez sur « Vérifier » pour comparer ce document à l'accusé ; sans numéro, « Vérifier » recherche les courriers qui le contiennent.",
        "أدخل رقم الوصل ثم انقر على «تحقّق» لمقارنة هذه الوثيقة بالوصل؛ وبدون رقم، يبحث «تحقّق» عن المراسلات التي تتضمنها.",
        "Enter the receipt's number, then press “Verify” to compare this document with the receipt; without a number, “Verify” finds the letters that contain it.";
    JsFileError => "Le fichier n'a pas pu être lu.", "تعذّرت قراءة الملف.", "The file could not be read.";

    // Acknowledgement of receipt.
    ReceiptTitle => "Accusé de réception", "وصل الإيداع", "Acknowledgement of receipt";
    DateLabel => "Date d'enregistrement", "تاريخ التسجيل", "Date of registration";
    HijriLabel => "Date hégirienne", "التاريخ الهجري", "Hijri date";
    TimeLabel => "Heure", "الساعة", "Time";
    AccessCodeLabel => "Code d'accès", "رمز الولوج", "Access code";
    AccessCodeNote => "Conservez ce code : il donne accès à l'expéditeur et à l'objet de votre courrier. Ne le communiquez qu'aux personnes de votre choix.",
        "احتفظ بهذا الرمز: فهو يتيح الاطلاع على المرسل وموضوع مراسلتك. لا تُطلع عليه إلا من تختار.",
        "Keep this code: it gives access to the sender and subject of your letter. Share it only with people you choose.";
    QrCaption => "Scannez ce code pour vérifier l'accusé en ligne :", "امسح هذا الرمز للتحقق من الوصل عبر الإنترنت:", "Scan this code to verify the receipt online:";
    QrLabel => "Code QR de vérification de l'accusé", "رمز QR للتحقق من الوصل", "QR code to verify the receipt";
    PrintButton => "Imprimer", "طباعة", "Print";
    ShowWithCode => "Afficher avec le code d'accès", "العرض برمز الولوج", "Show with the access code";
    ReceiptLegal => "Cet accusé atteste la réception du courrier à la date et à l'heure indiquées. Son authenticité se vérifie sur {url} avec le numéro d'enregistrement.",
        "يشهد هذا الوصل باستلام المراسلة في التاريخ والساعة المبيّنين. يمكن التحقق من صحته على {url} برقم التسجيل.",
        "This acknowledgement certifies that the letter was received at the date and time shown. Its authenticity can be checked at {url} with the registration number.";
    NewLetter => "Enregistrer un autre courrier", "تسجيل مراسلة أخرى", "Register another letter";

    // Clerk desk.
    DeskTitle => "Guichet du bureau d'ordre", "شباك مكتب الضبط", "Mail registration desk";
    SignInTitle => "Connexion au guichet", "الدخول إلى الشباك", "Sign in to the desk";
    SignInIntro => "Saisissez le jeton d'agent qui vous a été remis par l'administrateur.",
        "أدخل رمز الموظف الذي سلّمه لك المسؤول.",
        "Enter the clerk token your administrator gave you.";
    TokenLabel => "Jeton d'agent", "رمز الموظف", "Clerk token";
    SignIn => "Se connecter", "دخول", "Sign in";
    SignInFailed => "Ce jeton n'est pas valide ou a été révoqué.", "هذا الرمز غير صالح أو تم إلغاؤه.", "This token is not valid or has been revoked.";
    SignedInAs => "Connecté : {name} ({role})", "متصل: {name} ({role})", "Signed in: {name} ({role})";
    SignOut => "Se déconnecter", "خروج", "Sign out";
    RoleClerk => "agent", "موظف", "clerk";
    RoleAuditor => "auditeur", "مدقق", "auditor";
    RoleAdmin => "administrateur", "مسؤول", "administrator";
    NewLetterTitle => "Enregistrer un courrier", "تسجيل مراسلة", "Register a letter";
    NewLetterHint => "Entrée dans un champ, ou Ctrl+Entrée n'importe où, enregistre le courrier.",
        "الضغط على Enter في أي حقل، أو Ctrl+Enter في أي مكان، يسجّل المراسلة.",
        "Enter in a field, or Ctrl+Enter anywhere, registers the letter.";
    EssentialLegend => "Courrier", "المراسلة", "Letter";
    DetailsLegend => "Détails (facultatifs)", "تفاصيل (اختيارية)", "Details (optional)";
    Required => "obligatoire", "إلزامي", "required";
    SenderNameLabel => "Nom de l'expéditeur", "اسم المرسل", "Sender's name";
    SenderAddressLabel => "Adresse de l'expéditeur", "عنوان المرسل", "Sender's address";
    SenderEmailLabel => "Courriel de l'expéditeur", "البريد الإلكتروني للمرسل", "Sender's e-mail";
    NationalIdLabel => "N° de la carte d'identité (CIN)", "رقم البطاقة الوطنية", "National ID number";
    NotesLabel => "Notes", "ملاحظات", "Notes";
    DocumentsLabel => "Documents numérisés", "الوثائق الممسوحة ضوئياً", "Scanned documents";
    DocumentsHint => "Un ou plusieurs fichiers (PDF, images…).", "ملف واحد أو أكثر (PDF، صور…).", "One or more files (PDF, images…).";
    ChannelPaper => "Papier (dépôt ou voie postale)", "ورقي (إيداع أو بريد)", "Paper (handed in or posted)";
    ChannelEmail => "Courriel", "بريد إلكتروني", "E-mail";
    ChannelWeb => "Formulaire en ligne", "استمارة إلكترونية", "Web form";
    ChannelPartner => "Institution partenaire", "مؤسسة شريكة", "Partner institution";
    RegisterSubmit => "Enregistrer et imprimer l'accusé", "تسجيل وطباعة الوصل", "Register and print the receipt";
    Registering => "Enregistrement…", "جارٍ التسجيل…", "Registering…";
    RegisterFailed => "Le courrier n'a pas été enregistré : {reason}", "لم تُسجَّل المراسلة: {reason}", "The letter was not registered: {reason}";
    CannotRegister => "Votre rôle ({role}) ne permet pas d'enregistrer des courriers.", "دورك ({role}) لا يسمح بتسجيل المراسلات.", "Your role ({role}) may not register letters.";
    TodayTitle => "Registre du jour — {date}", "سجل اليوم — {date}", "Today's register — {date}";
    TodayEmpty => "Aucun courrier enregistré aujourd'hui.", "لم تُسجَّل أي مراسلة اليوم.", "No letter registered today.";
    TableNumber => "Numéro", "الرقم", "Number";
    TableReceipt => "Accusé", "الوصل", "Receipt";
    Reprint => "Réimprimer", "إعادة الطباعة", "Reprint";

    // Errors.
    ErrorTitle => "La demande n'a pas abouti", "تعذّر إتمام الطلب", "The request did not succeed";
    ErrorBadRequest => "La demande n'est pas valide.", "الطلب غير صالح.", "The request is not valid.";
    ErrorNotFound => "Cette page n'existe pas.", "هذه الصفحة غير موجودة.", "This page does not exist.";
    ErrorTooMany => "Trop de tentatives infructueuses depuis votre adresse. Réessayez dans une minute.",
        "محاولات فاشلة كثيرة من عنوانك. أعد المحاولة بعد دقيقة.",
        "Too many failed attempts from your address. Try again in a minute.";
    ErrorCsrf => "Ce formulaire a expiré ou ne provient pas du guichet. Rechargez la page et recommencez.",
        "انتهت صلاحية هذه الاستمارة أو أنها لا تصدر عن الشباك. أعد تحميل الصفحة وحاول من جديد.",
        "This form has expired or did not come from the desk. Reload the page and try again.";
    ErrorForbidden => "Vous n'avez pas le droit de faire cela.", "لا يحق لك القيام بذلك.", "You are not allowed to do this.";
    ErrorSignInNeeded => "Votre session a pris fin : reconnectez-vous.", "انتهت جلستك: أعد تسجيل الدخول.", "Your session has ended: sign in again.";
    ErrorTooLarge => "L'envoi dépasse la taille autorisée.", "الإرسال يتجاوز الحجم المسموح به.", "The upload is larger than allowed.";
    ErrorUnavailable => "Le service est momentanément indisponible : rien n'a été enregistré. Réessayez dans un instant.",
        "الخدمة غير متاحة مؤقتاً: لم يُسجَّل أي شيء. أعد المحاولة بعد قليل.",
        "The service is momentarily unavailable: nothing was registered. Try again in a moment.";
    ErrorInternal => "Le service n'a pas pu traiter la demande. Réessayez ; si le problème persiste, prévenez l'administrateur.",
        "تعذّر على الخدمة معالجة الطلب. أعد المحاولة، وإذا استمر المشكل فأخبر المسؤول.",
        "The service could not handle the request. Try again; if it persists, tell the administrator.";
    BackHome => "Retour à la vérification", "العودة إلى صفحة التحقق", "Back to verification";
}

/// `t(lang, key)` with each `{name}` replaced by its value.
pub fn tf(lang: Lang, key: Key, args: &[(&str, &str)]) -> String {
    fill(t(lang, key), args)
}

/// Replaces each `{name}` of `template` by its value.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The Gregorian month's name (1 to 12).
pub fn month_name(lang: Lang, month: u32) -> &'static str {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const AR: [&str; 12] = [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "ماي",
        "يونيو",
        "يوليوز",
        "غشت",
        "شتنبر",
        "أكتوبر",
        "نونبر",
        "دجنبر",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let names = match lang {
        Lang::Fr => &FR,
        Lang::Ar => &AR,
        Lang::En => &EN,
    };
    names[(month.clamp(1, 12) - 1) as usize]
}

/// The Hijri month's name (1 to 12).
pub fn hijri_month_name(lang: Lang, month: u32) -> &'static str {
    const FR: [&str; 12] = [
        "Mouharram",
        "Safar",
        "Rabii al-awal",
        "Rabii ath-thani",
        "Joumada al-oula",
        "Joumada ath-thania",
        "Rajab",
        "Chaabane",
        "Ramadan",
        "Chaoual",
        "Dhou al-qi'da",
        "Dhou al-hijja",
    ];
    const AR: [&str; 12] = [
        "محرم",
        "صفر",
        "ربيع الأول",
        "ربيع الآخر",
        "جمادى الأولى",
        "جمادى الآخرة",
        "رجب",
        "شعبان",
        "رمضان",
        "شوال",
        "ذو القعدة",
        "ذو الحجة",
    ];
    const EN: [&str; 12] = [
        "Muharram",
        "Safar",
        "Rabi' al-Awwal",
        "Rabi' al-Thani",
        "Jumada al-Ula",
        "Jumada al-Akhirah",
        "Rajab",
        "Sha'ban",
        "Ramadan",
        "Shawwal",
        "Dhu al-Qa'dah",
        "Dhu al-Hijjah",
    ];
    let names = match lang {
        Lang::Fr => &FR,
        Lang::Ar => &AR,
        Lang::En => &EN,
    };
    names[(month.clamp(1, 12) - 1) as usize]
}

/// A day: "1er mars 2026", "28 novembre 2026"; "28 نونبر 2026"; "28 November 2026".
pub fn format_date(lang: Lang, date: NaiveDate) -> String {
    let day = date.day();
    let month = month_name(lang, date.month());
    match lang {
        Lang::Fr if day == 1 => format!("1er {month} {}", date.year()),
        _ => format!("{day} {month} {}", date.year()),
    }
}

/// A time of day: "14:05".
pub fn format_time(time: &NaiveDateTime) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// A day and time: "28 novembre 2026 à 14:05"; "28 نونبر 2026 على الساعة 14:05";
/// "28 November 2026, 14:05".
pub fn format_date_time(lang: Lang, time: &NaiveDateTime) -> String {
    let date = format_date(lang, time.date());
    let clock = format_time(time);
    match lang {
        Lang::Fr => format!("{date} à {clock}"),
        Lang::Ar => format!("{date} على الساعة {clock}"),
        Lang::En => format!("{date}, {clock}"),
    }
}

/// A Hijri date: "9 Ramadan 1447 de l'Hégire"; "9 رمضان 1447 هـ"; "9 Ramadan 1447 AH".
pub fn format_hijri(lang: Lang, date: HijriDate) -> String {
    let month = hijri_month_name(lang, date.month);
    match lang {
        Lang::Fr => format!("{} {month} {} de l'Hégire", date.day, date.year),
        Lang::Ar => format!("{} {month} {} هـ", date.day, date.year),
        Lang::En => format!("{} {month} {} AH", date.day, date.year),
    }
}

/// A size in bytes, grouped as each language groups digits: "12 345 octets",
/// "12345 بايت", "12,345 bytes".
pub fn format_size(lang: Lang, bytes: u64) -> String {
    let digits = bytes.to_string();
    let separator = match lang {
        Lang::Fr => Some('\u{202F}'),
        Lang::En => Some(','),
        Lang::Ar => None,
    };
    let grouped = match separator {
        None => digits,
        Some(sep) => {
            let mut out = String::new();
            // A separator before each digit whose position from the left is
            // the length's remainder modulo 3 (groups of three from the right).
            let head = digits.len() % 3;
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && i % 3 == head {
                    out.push(sep);
                }
                out.push(c);
            }
            out
        }
    };
    tf(lang, Key::Bytes, &[("n", &grouped)])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_string_is_translated() {
        for key in Key::ALL {
            let (fr, ar, en) = (t(Lang::Fr, *key), t(Lang::Ar, *key), t(Lang::En, *key));
            assert!(
                !fr.is_empty() && !ar.is_empty() && !en.is_empty(),
                "{key:?}"
            );
            // Arabic strings are in Arabic script.
            assert!(
                ar.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                "{key:?} is not Arabic: {ar}"
            );
            // Placeholders are the same in every language.
            let holes = |s: &str| {
                let mut v: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split('}').next())
                    .map(str::to_owned)
                    .collect();
                v.sort();
                v
            };
            assert_eq!(holes(fr), holes(ar), "{key:?}");
            assert_eq!(holes(fr), holes(en), "{key:?}");
        }
        assert_ne!(
            t(Lang::Fr, Key::VerifySubmit),
            t(Lang::En, Key::VerifySubmit)
        );
    }

    #[test]
    fn dates_are_written_the_way_each_language_writes_them() {
        let time = NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_opt(14, 5, 9)
            .unwrap();
        assert_eq!(
            format_date_time(Lang::Fr, &time),
            "28 novembre 2026 à 14:05"
        );
        assert_eq!(
            format_date_time(Lang::Ar, &time),
            "28 نونبر 2026 على الساعة 14:05"
        );
        assert_eq!(format_date_time(Lang::En, &time), "28 November 2026, 14:05");
        let first = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(format_date(Lang::Fr, first), "1er mars 2026");
        let h = HijriDate {
            year: 1447,
            month: 9,
            day: 1,
        };
        assert_eq!(format_hijri(Lang::Fr, h), "1 Ramadan 1447 de l'Hégire");
        assert_eq!(format_hijri(Lang::Ar, h), "1 رمضان 1447 هـ");
        assert_eq!(format_hijri(Lang::En, h), "1 Ramadan 1447 AH");
    }

    #[test]
    fn sizes_are_grouped() {
        assert_eq!(format_size(Lang::En, 1_234_567), "1,234,567 bytes");
        assert_eq!(format_size(Lang::Fr, 999), "999 octets");
        assert_eq!(format_size(Lang::Fr, 12_345), "12\u{202F}345 octets");
        assert_eq!(format_size(Lang::Ar, 12_345), "12345 بايت");
    }

    #[test]
    fn language_codes_are_read_loosely() {
        assert_eq!(Lang::from_code("AR"), Some(Lang::Ar));
        assert_eq!(Lang::from_code("fr-MA"), Some(Lang::Fr));
        assert_eq!(Lang::from_code("en_GB"), Some(Lang::En));
        assert_eq!(Lang::from_code("de"), None);
        assert_eq!(Lang::Ar.dir(), "rtl");
    }
}
