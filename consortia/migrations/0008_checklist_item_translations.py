"""The shipped onboarding checklist (0002) in every language.

English is what each row says today; the other languages are filled for the twelve items
the portal ships, matched by their English title, only where empty (staff may have
translated an item already). An item staff added stays English-only and shows English.
"""

from django.db import migrations

# English title: {language: (title, description)}; an empty description stays empty.
ITEMS = {
    "Lead organization identified, with its main contact": {
        "es": ("Organización líder identificada, con su contacto principal", ""),
        "pt_br": ("Organização líder identificada, com seu contato principal", ""),
        "ru": ("Ведущая организация определена, с её основным контактным лицом", ""),
        "zh_hans": ("已确定牵头机构及其主要联系人", ""),
        "zh_hant": ("已確定主導機構及其主要聯絡人", ""),
    },
    "Funding model decided": {
        "es": (
            "Modelo de financiación decidido",
            "Incluida la recuperación de costes del personal de soporte.",
        ),
        "pt_br": (
            "Modelo de financiamento definido",
            "Incluindo a recuperação de custos da equipe de suporte.",
        ),
        "ru": (
            "Модель финансирования определена",
            "Включая возмещение расходов на сотрудников поддержки.",
        ),
        "zh_hans": ("已确定资金模式", "包括支持人员的成本回收。"),
        "zh_hant": ("已確定資金模式", "包括支援人員的成本回收。"),
    },
    "Consortium policy drafted": {
        "es": (
            "Política del consorcio redactada",
            "Objetivos, criterios de membresía, principios de gobernanza y cómo se "
            "supervisa el progreso.",
        ),
        "pt_br": (
            "Política do consórcio redigida",
            "Objetivos, critérios de adesão, princípios de governança e como o progresso "
            "é acompanhado.",
        ),
        "ru": (
            "Положение о консорциуме подготовлено",
            "Цели, критерии членства, принципы управления и порядок отслеживания хода работы.",
        ),
        "zh_hans": ("已起草联盟政策", "目标、成员资格标准、治理原则以及进展的监督方式。"),
        "zh_hant": ("已起草聯盟政策", "目標、成員資格標準、治理原則以及進展的監督方式。"),
    },
    "Call for participation issued": {
        "es": ("Convocatoria de participación publicada", ""),
        "pt_br": ("Chamada de participação publicada", ""),
        "ru": ("Приглашение к участию опубликовано", ""),
        "zh_hans": ("已发布参与征集", ""),
        "zh_hant": ("已發布參與徵集", ""),
    },
    "Implementation model chosen": {
        "es": ("Modelo de implementación elegido", "Plataforma central, distribuida o mixta."),
        "pt_br": (
            "Modelo de implementação escolhido",
            "Plataforma central, distribuída ou mista.",
        ),
        "ru": (
            "Модель внедрения выбрана",
            "Центральная платформа, распределённая или смешанная модель.",
        ),
        "zh_hans": ("已选定实施模式", "中央平台、分布式或混合式。"),
        "zh_hant": ("已選定實施模式", "中央平台、分散式或混合式。"),
    },
    "Community-management staff: job description finalized and hiring call issued": {
        "es": (
            "Personal de gestión de la comunidad: descripción del puesto finalizada y "
            "convocatoria de contratación publicada",
            "",
        ),
        "pt_br": (
            "Equipe de gestão da comunidade: descrição do cargo finalizada e processo "
            "seletivo aberto",
            "",
        ),
        "ru": (
            "Сотрудники по работе с сообществом: должностная инструкция утверждена, "
            "вакансия объявлена",
            "",
        ),
        "zh_hans": ("社区管理人员：已确定职位说明并发布招聘启事", ""),
        "zh_hant": ("社群管理人員：已確定職位說明並發布招聘啟事", ""),
    },
    "Web page about the consortium published": {
        "es": (
            "Página web sobre el consorcio publicada",
            "Con un contacto de soporte y las buenas prácticas básicas de ORCID.",
        ),
        "pt_br": (
            "Página web sobre o consórcio publicada",
            "Com um contato de suporte e as boas práticas básicas do ORCID.",
        ),
        "ru": (
            "Веб-страница о консорциуме опубликована",
            "С контактом службы поддержки и основными рекомендациями по работе с ORCID.",
        ),
        "zh_hans": ("已发布联盟网页", "包含支持联系方式和 ORCID 基本最佳实践。"),
        "zh_hant": ("已發布聯盟網頁", "包含支援聯絡方式和 ORCID 基本最佳實務。"),
    },
    "Community-management staff hired and onboarded": {
        "es": (
            "Personal de gestión de la comunidad contratado e incorporado",
            "En los tres meses siguientes a la firma.",
        ),
        "pt_br": (
            "Equipe de gestão da comunidade contratada e integrada",
            "Até três meses após a assinatura.",
        ),
        "ru": (
            "Сотрудники по работе с сообществом наняты и введены в должность",
            "В течение трёх месяцев после подписания.",
        ),
        "zh_hans": ("社区管理人员已招聘并完成入职", "签署后三个月内。"),
        "zh_hant": ("社群管理人員已招聘並完成到職", "簽署後三個月內。"),
    },
    "Lead staff trained by ORCID": {
        "es": (
            "Personal de la organización líder formado por ORCID",
            "En los tres meses siguientes a la firma.",
        ),
        "pt_br": (
            "Equipe da organização líder treinada pelo ORCID",
            "Até três meses após a assinatura.",
        ),
        "ru": (
            "Сотрудники ведущей организации прошли обучение в ORCID",
            "В течение трёх месяцев после подписания.",
        ),
        "zh_hans": ("牵头机构人员已接受 ORCID 培训", "签署后三个月内。"),
        "zh_hant": ("主導機構人員已接受 ORCID 培訓", "簽署後三個月內。"),
    },
    "Support staff complete ORCID training": {
        "es": (
            "El personal de soporte completa la formación de ORCID",
            "En los tres meses siguientes a la firma.",
        ),
        "pt_br": (
            "A equipe de suporte conclui o treinamento do ORCID",
            "Até três meses após a assinatura.",
        ),
        "ru": (
            "Сотрудники поддержки прошли обучение ORCID",
            "В течение трёх месяцев после подписания.",
        ),
        "zh_hans": ("支持人员完成 ORCID 培训", "签署后三个月内。"),
        "zh_hant": ("支援人員完成 ORCID 培訓", "簽署後三個月內。"),
    },
    "Every member contacted with how to reach support and the other members": {
        "es": (
            "Cada miembro contactado con cómo comunicarse con el soporte y con los demás miembros",
            "En los tres meses siguientes a la firma.",
        ),
        "pt_br": (
            "Cada membro contatado com as formas de falar com o suporte e com os demais membros",
            "Até três meses após a assinatura.",
        ),
        "ru": (
            "Каждому участнику сообщено, как связаться со службой поддержки и другими участниками",
            "В течение трёх месяцев после подписания.",
        ),
        "zh_hans": ("已联系每个成员，告知如何联系支持人员和其他成员", "签署后三个月内。"),
        "zh_hant": ("已聯繫每個成員，告知如何聯繫支援人員和其他成員", "簽署後三個月內。"),
    },
    "Member organization details entered": {
        "es": (
            "Datos de las organizaciones miembro introducidos",
            "En los tres meses siguientes a la firma.",
        ),
        "pt_br": ("Dados das organizações membro cadastrados", "Até três meses após a assinatura."),
        "ru": (
            "Сведения об организациях-участниках внесены",
            "В течение трёх месяцев после подписания.",
        ),
        "zh_hans": ("已录入成员机构信息", "签署后三个月内。"),
        "zh_hant": ("已錄入成員機構資訊", "簽署後三個月內。"),
    },
}


def fill(apps, schema_editor):
    ChecklistItem = apps.get_model("consortia", "ChecklistItem")
    for item in ChecklistItem.objects.all():
        item.title_en = item.title_en or item.title
        item.description_en = item.description_en or item.description
        for language, (title, description) in ITEMS.get(item.title_en, {}).items():
            if not getattr(item, f"title_{language}"):
                setattr(item, f"title_{language}", title)
            if description and not getattr(item, f"description_{language}"):
                setattr(item, f"description_{language}", description)
        item.save()


class Migration(migrations.Migration):
    dependencies = [("consortia", "0007_checklist_item_languages")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
